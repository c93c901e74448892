//! Work for the queue: what an action leaves to do, as message bodies. Each
//! body is a direct-invocation request (see [`super::message`]) for at most
//! [`ITEMS_PER_MESSAGE`] items, and carries the idempotency of the event
//! the work came from: a scan list carries the base its client tokens
//! derive from (as its `clientToken`), a single scan its own token, a run
//! its name. However often a message is delivered, or its unfinished items
//! queued again, no scan or run starts twice.

use crate::domain::{Action, CONFIGURATIONS_PER_CALL, Error};
use serde_json::Value;

/// Items per message: one scan-configuration call's worth (the service
/// limit), and at most as many scans.
pub const ITEMS_PER_MESSAGE: usize = CONFIGURATIONS_PER_CALL;

/// The bodies of the messages that do `action` (a fan-out), in order.
pub fn messages(action: &Action) -> Result<Vec<String>, Error> {
    let bodies = action.messages(ITEMS_PER_MESSAGE)?;
    Ok(bodies.iter().map(Value::to_string).collect())
}
