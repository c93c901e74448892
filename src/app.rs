//! The one place that ties the sides together: decode → route → execute →
//! encode, with one structured log line per invocation. Tests call
//! [`App::handle`] directly. Webhook deliveries: `app/webhook.rs`.

mod webhook;

use crate::config::Settings;
use crate::domain::{Deadline, Error, Outcome};
use crate::ingress::encode::{envelope, http_error, http_success, summary};
use crate::ingress::{Trigger, decode, route};
use crate::inspector::Executor;
use crate::inspector::preconnect::Opened;
use crate::secrets::WebhookSecretStore;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::time::Instant;

/// Everything built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub settings: Settings,
    pub executor: Executor,
    /// Fetched at the first webhook, not here.
    pub webhook_secrets: WebhookSecretStore,
}

impl App {
    /// Builds the SDK clients from `sdk` unless `settings.dry_run`.
    pub fn new(settings: Settings, sdk: Option<&aws_config::SdkConfig>) -> Self {
        let sdk = sdk.filter(|_| !settings.dry_run);
        let executor = Executor::new(sdk, &settings.sdk, &settings.batch, &settings.resolve);
        let webhook_secrets = WebhookSecretStore::new(sdk, &settings.webhooks, &settings.sdk);
        Self {
            settings,
            executor,
            webhook_secrets,
        }
    }

    /// Opens the connections `PRECONNECT` names, and logs what came of it
    /// (one line; a failure only costs the first invocation its head start).
    pub async fn preconnect(&self) -> Vec<Opened> {
        let p = &self.settings.preconnect;
        let opened = self.executor.preconnect(&p.services, p.timeout).await;
        for o in &opened {
            let elapsed_ms = o.elapsed.as_secs_f64() * 1000.0;
            match &o.error {
                None => tracing::info!(service = o.service.name(), elapsed_ms, "preconnected"),
                Some(error) => tracing::warn!(
                    service = o.service.name(),
                    elapsed_ms,
                    error,
                    "preconnect failed"
                ),
            }
        }
        opened
    }

    /// The invocation's deadline as an `Instant`; none when the context has
    /// none (tests, `Context::default()`).
    fn deadline(&self, ctx: &lambda_runtime::Context) -> Deadline {
        let at = (ctx.deadline > 0).then(|| {
            let left = ctx
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            Instant::now() + left
        });
        Deadline {
            at,
            margin: self.settings.deadline_margin,
        }
    }

    /// HTTP triggers always get an HTTP response (errors included); other
    /// triggers get a JSON summary, or a Lambda error when the work failed.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let started = Instant::now();
        let request_id = event.context.request_id.clone();
        let deadline = self.deadline(&event.context);
        let trigger = match decode(event.payload) {
            Ok(t) => t,
            Err(e) => {
                crate::telemetry::error(&e);
                tracing::warn!(request_id, trigger = "unknown", outcome = "rejected", error_code = e.code(), error = %e, latency_ms = started.elapsed().as_millis() as u64, "invocation");
                return Err(e);
            }
        };
        if let Trigger::Http(req) = &trigger
            && let Some(provider) = crate::ingress::webhook::provider_for(&req.path)
        {
            // Boxed: its future is not part of every invocation's.
            let answer = Box::pin(self.webhook(req, provider, &request_id, started, deadline));
            return Ok(answer.await);
        }
        let routed = route(&trigger, &self.settings.limits, &request_id);
        let operation = routed.as_ref().ok().map(|a| a.operation().name());
        let resource = routed.as_ref().map(|a| a.describe()).unwrap_or_default();
        let result = match &routed {
            Ok(action) => self.executor.execute(action, deadline).await,
            Err(e) => Err(e.clone()),
        };
        let latency_ms = started.elapsed().as_millis() as u64;
        crate::telemetry::outcome(&result);
        log_invocation(
            &request_id,
            &trigger,
            operation,
            &resource,
            &result,
            latency_ms,
        );

        match (&trigger, result) {
            (Trigger::Http(req), Ok(outcome)) => {
                Ok(envelope(req.flavor, http_success(req, &outcome)))
            }
            (Trigger::Http(req), Err(e)) => Ok(envelope(req.flavor, http_error(&e))),
            (_, Ok(outcome)) => {
                let action = routed.expect("an outcome implies a routed action");
                let summary = summary(&trigger, action.operation(), &outcome);
                // A fan-out with failed items fails the invocation so that it
                // is retried; starts are idempotent, so the items that did
                // start are not started twice.
                match outcome.fan_out_failures() {
                    Some((failed, total, retryable)) if failed > 0 => Err(Error::PartialFailure {
                        message: format!("{failed} of {total} items failed"),
                        retryable,
                        results: summary["result"].clone(),
                    }),
                    _ => Ok(summary),
                }
            }
            (_, Err(e)) => Err(e),
        }
    }
}

fn log_invocation(
    request_id: &str,
    trigger: &Trigger,
    action: Option<&str>,
    resource: &str,
    result: &Result<Outcome, Error>,
    latency_ms: u64,
) {
    let kind = trigger.kind();
    let action = action.unwrap_or("none");
    match result {
        Ok(outcome) => {
            let failed = outcome.failed_items();
            let outcome_name = match outcome {
                Outcome::DryRun(_) => "planned",
                Outcome::Skipped(s) => {
                    tracing::info!(request_id, trigger = kind, action, resource, outcome = "skipped", reason = %s.reason, repository = s.repository.as_deref(), git_ref = s.git_ref.as_deref(), latency_ms, "invocation");
                    return;
                }
                _ if failed > 0 => "failed",
                _ => "completed",
            };
            tracing::info!(
                request_id,
                trigger = kind,
                action,
                resource,
                outcome = outcome_name,
                failed_items = failed,
                latency_ms,
                "invocation"
            );
        }
        Err(e) if e.retryable() || e.http_status() >= 500 => {
            tracing::error!(request_id, trigger = kind, action, resource, outcome = "failed", error_code = e.code(), retryable = e.retryable(), error = %e, latency_ms, "invocation");
        }
        Err(e) => {
            tracing::warn!(request_id, trigger = kind, action, resource, outcome = "rejected", error_code = e.code(), error = %e, latency_ms, "invocation");
        }
    }
}

/// Non-HTTP callers (async invoke, Step Functions, EventBridge) get a Lambda
/// error: `errorType` is the code, `errorMessage` the JSON body above, so
/// Step Functions `Retry`/`Catch` can match on the code and read the fields.
impl From<Error> for lambda_runtime::Diagnostic {
    fn from(e: Error) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.code().to_string(),
            error_message: e.to_body().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_carries_code_and_json_body() {
        let d: lambda_runtime::Diagnostic =
            Error::invalid_field("resource.projectId", "is required").into();
        assert_eq!(d.error_type, "InvalidRequest");
        let v: serde_json::Value = serde_json::from_str(&d.error_message).unwrap();
        assert_eq!(v["error"]["fields"][0]["field"], "resource.projectId");
    }
}
