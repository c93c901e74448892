//! Direct invocations: `{"action": <operation>, ...fields}` from EventBridge
//! Scheduler, Step Functions, `aws lambda invoke` or an SDK.

use super::actions::{Origin, Request, action_for};
use crate::config::Limits;
use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::{Action, Error, Operation};
use serde_json::{Map, Value};

pub fn route(
    action: &str,
    fields: &Map<String, Value>,
    cfg: &Limits,
    origin: &Origin,
) -> Result<Action, Error> {
    let op = Operation::from_name(action).ok_or_else(|| {
        Error::invalid_field(
            "action",
            format!(
                "\"{}\" is not one of {}",
                bounded(action, MAX_SHOWN),
                Operation::names()
            ),
        )
    })?;
    action_for(Request::decode(op, fields)?, cfg.max_batch_items, origin)
}
