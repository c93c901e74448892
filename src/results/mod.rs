//! The results adapter: one `Code Security Scan Completed` event per
//! finished scan, put on `RESULTS_EVENT_BUS` with `PutEvents`. It knows
//! nothing of triggers, queues or Inspector; `app/watches.rs` ties it in.

use crate::domain::completion::DETAIL_TYPE;
use crate::domain::{AwsError, AwsErrorKind, Error};
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::Value;

/// The IAM action the template grants, on the results bus only.
pub const PUT_EVENTS_ACTION: &str = "events:PutEvents";
const OPERATION: &str = "events:PutEvents";

/// The client and where its events go; built once per cold start.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    source: String,
}

impl Publisher {
    pub fn new(sdk: &aws_config::SdkConfig, bus: &str, source: &str) -> Self {
        Self {
            client: aws_sdk_eventbridge::Client::new(sdk),
            bus: bus.to_string(),
            source: source.to_string(),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The event as `PutEvents` takes it (also what a dry run shows).
    pub fn entry(bus: &str, source: &str, detail: &Value) -> Value {
        serde_json::json!({
            "EventBusName": bus,
            "Source": source,
            "DetailType": DETAIL_TYPE,
            "Detail": detail,
        })
    }

    /// Puts one event with `detail`. `Ok` once EventBridge accepted it.
    pub async fn publish(&self, detail: &Value) -> Result<(), Error> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(DETAIL_TYPE)
            .detail(detail.to_string())
            .build();
        let out = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(sdk_error)?;
        match out.entries().first() {
            Some(e) if e.event_id().is_some() => Ok(()),
            Some(e) => Err(Error::Aws(AwsError {
                operation: OPERATION,
                code: e.error_code().unwrap_or("FailedEntry").to_string(),
                message: e.error_message().unwrap_or_default().to_string(),
                kind: AwsErrorKind::ServiceFailure,
                retry_after: None,
            })),
            None if out.failed_entry_count() == 0 => Ok(()),
            None => Err(Error::Internal {
                message: "PutEvents reported a failed entry without naming it".to_string(),
            }),
        }
    }
}

/// EventBridge's error, through the one SDK-error mapper (`sdk::aws_error`,
/// as Inspector's and SQS's are; it also keeps a `Retry-After`).
fn sdk_error<E: ProvideErrorMetadata>(
    e: SdkError<E, aws_sdk_eventbridge::config::http::HttpResponse>,
) -> Error {
    Error::Aws(crate::sdk::aws_error(OPERATION, &e, eventbridge_kind))
}

/// EventBridge's codes by kind; the rest is a service failure.
fn eventbridge_kind(code: &str, _status: u16) -> AwsErrorKind {
    match code {
        c if c.contains("Throttl") => AwsErrorKind::Throttled,
        c if c.contains("AccessDenied") => AwsErrorKind::AccessDenied,
        c if c.contains("NotFound") => AwsErrorKind::NotFound,
        _ => AwsErrorKind::ServiceFailure,
    }
}
