//! The handler: decode → route → execute → encode, with one structured log
//! line per invocation. Tests call [`App::handle`] directly.

use crate::config::Settings;
use crate::decode::{Trigger, decode};
use crate::encode::{envelope, http_error, http_success, summary};
use crate::error::Error;
use crate::execute::{Executor, Inspector, Outcome};
use crate::route::{Limits, route};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::time::Instant;

/// Everything built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub settings: Settings,
    pub executor: Executor,
}

impl App {
    /// Builds the SDK clients from `sdk` unless `settings.dry_run`.
    pub fn new(settings: Settings, sdk: Option<&aws_config::SdkConfig>) -> Self {
        let executor = match sdk {
            Some(sdk) if !settings.dry_run => {
                Executor::Live(Inspector::new(sdk, settings.batch_concurrency))
            }
            _ => Executor::DryRun,
        };
        Self { settings, executor }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_batch_items: self.settings.max_batch_items,
            max_body_bytes: self.settings.max_body_bytes,
        }
    }

    /// HTTP triggers always get an HTTP response (errors included); other
    /// triggers get a JSON summary, or a Lambda error when the work failed.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let started = Instant::now();
        let request_id = event.context.request_id.clone();
        let trigger = match decode(event.payload) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(request_id, trigger = "unknown", outcome = "rejected", error_code = e.code(), error = %e, latency_ms = started.elapsed().as_millis() as u64, "invocation");
                return Err(e);
            }
        };
        let routed = route(&trigger, self.limits());
        let operation = routed.as_ref().ok().map(|a| a.operation().name());
        let result = match &routed {
            Ok(action) => self.executor.execute(action).await,
            Err(e) => Err(e.clone()),
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        log_invocation(&request_id, &trigger, operation, &result, latency_ms);

        match (&trigger, result) {
            (Trigger::Http(req), Ok(outcome)) => {
                Ok(envelope(req.flavor, http_success(req, &outcome)))
            }
            (Trigger::Http(req), Err(e)) => Ok(envelope(req.flavor, http_error(&e))),
            (_, Ok(outcome)) => {
                let action = routed.expect("an outcome implies a routed action");
                Ok(summary(&trigger, action.operation(), &outcome))
            }
            (_, Err(e)) => Err(e),
        }
    }
}

fn log_invocation(
    request_id: &str,
    trigger: &Trigger,
    action: Option<&str>,
    result: &Result<Outcome, Error>,
    latency_ms: u64,
) {
    let kind = trigger.kind();
    let action = action.unwrap_or("none");
    match result {
        Ok(outcome) => {
            let (outcome_name, failed) = match outcome {
                Outcome::Disassociated(b) => ("completed", b.failed_associations.len()),
                Outcome::DryRun(_) => ("planned", 0),
                _ => ("completed", 0),
            };
            tracing::info!(
                request_id,
                trigger = kind,
                action,
                outcome = outcome_name,
                failed_items = failed,
                latency_ms,
                "invocation"
            );
        }
        Err(e) if e.retryable() || e.http_status() >= 500 => {
            tracing::error!(request_id, trigger = kind, action, outcome = "failed", error_code = e.code(), retryable = e.retryable(), error = %e, latency_ms, "invocation");
        }
        Err(e) => {
            tracing::warn!(request_id, trigger = kind, action, outcome = "rejected", error_code = e.code(), error = %e, latency_ms, "invocation");
        }
    }
}
