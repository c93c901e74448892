//! The request shapes callers send (AWS's own field names), decoded and
//! validated into the domain's actions.

//! The request shapes themselves live with their operations
//! (`domain::request`, `domain::configurations`, `domain::assessment_run`);
//! this module names the shapes for the OpenAPI document and words the
//! refusal of an event of no known shape.

pub use crate::domain::assessment_run::StartRunInput;
pub use crate::domain::configurations::{ConfigurationItemInput, ConfigurationsInput};
pub use crate::domain::request::{GetScanInput, ScanRequest, StartScanInput, decode_input};
pub use crate::domain::validate::{ResourceInput, non_null};
use crate::domain::{Error, Operation};
use serde_json::Value;

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn expected_shapes() -> String {
    format!(
        "expected an API Gateway HTTP/REST API or function URL request, an EventBridge event \
         (detail-type one of {ops}), a direct invocation {{\"action\": one of {ops}, ...}}, \
         or an SQS event from the work queue",
        ops = Operation::names()
    )
}

/// The event is none of the shapes this function handles; says which it takes.
pub fn unsupported(what: &str) -> Error {
    Error::UnsupportedEvent {
        message: format!("unsupported event: {what}; {}", expected_shapes()),
    }
}
