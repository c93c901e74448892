//! The one place that ties the sides together: decode → route → execute →
//! encode, with one structured log line per invocation. Tests call
//! [`App::handle`] directly. [`sweep`] ties in the work queue: fan-outs
//! queued, unfinished items queued, SQS batches consumed. Webhook
//! deliveries: `app/deliveries.rs`. Every path goes through the gate
//! (`app/admission.rs`) between routing and execution.

mod admission;
mod deliveries;
mod record;
mod reports;
mod selectors;
mod watches;
mod work;

use crate::config::Settings;
use crate::domain::error::bounded;
use crate::domain::gate::OwnQueue;
use crate::domain::{Deadline, Error, Outcome};
use crate::ingress::answer::ErrorAnswer;
use crate::ingress::encode::{envelope, http_error, http_queued, http_success};
use crate::ingress::{Invocation, Trigger, decode, route};
use crate::inspector::Executor;
use crate::inspector::preconnect::Opened;
use crate::queue::{WatchQueue, WorkQueue};
use crate::report::Reporter;
use crate::results::Publisher;
use crate::secrets::{ReportSecrets, WebhookSecretStore};
use lambda_runtime::LambdaEvent;
use record::Record;
use serde_json::Value;
use std::time::Instant;

/// Everything built once per cold start.
#[derive(Debug, Clone)]
pub struct App {
    pub settings: Settings,
    /// Private: every path reaches it through the gate (`app/admission.rs`).
    executor: Executor,
    /// The work queue (`WORK_QUEUE_URL`); none in a dry run.
    pub queue: Option<WorkQueue>,
    /// Fetched at the first webhook, not here.
    pub webhook_secrets: WebhookSecretStore,
    /// The only queue SQS batches are accepted from: the ARN of the queue
    /// behind `WORK_QUEUE_URL` (tests may set it in the settings).
    pub work_queue_arn: Option<String>,
    /// The sweep queue (`SWEEP_QUEUE_URL`, FIFO): sweeps by selector; none
    /// in a dry run.
    pub sweeps: Option<WorkQueue>,
    /// The ARN of the queue behind `SWEEP_QUEUE_URL`.
    pub sweep_queue_arn: Option<String>,
    /// The watch queue (`SCAN_WATCH_QUEUE_URL`) when `SCAN_RESULTS=events`;
    /// none in a dry run.
    pub watches: Option<WatchQueue>,
    /// The other queue SQS batches are accepted from: the ARN of the queue
    /// behind `SCAN_WATCH_QUEUE_URL` (tests may set it in the settings).
    pub watch_queue_arn: Option<String>,
    /// Where results events go (`RESULTS_EVENT_BUS`).
    pub publisher: Option<Publisher>,
    /// Check runs and commit statuses (`REPORT_TO`); none when off. Its
    /// HTTP client is built at the first report.
    pub reporter: Option<std::sync::Arc<Reporter>>,
    /// The GitHub App's key and the GitLab token, read when first needed.
    pub report_secrets: ReportSecrets,
    /// The region, for the console link a report carries.
    pub region: Option<String>,
    /// Webhook deliveries in flight (at most `WebhookSettings::concurrency`).
    webhook_slots: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl App {
    /// Builds the SDK clients from `sdk` unless `settings.dry_run`.
    pub fn new(settings: Settings, sdk: Option<&aws_config::SdkConfig>) -> Self {
        let sdk = sdk.filter(|_| !settings.dry_run);
        let executor = Executor::new(sdk, &settings.sdk, &settings.batch, &settings.resolve);
        let queue = sdk
            .zip(settings.queue.url.as_deref())
            .map(|(sdk, url)| work::queue(sdk, url, &settings));
        let sweeps = sdk
            .zip(settings.queue.sweep_url.as_deref())
            .map(|(sdk, url)| {
                WorkQueue::new(sdk, url).with_concurrency(settings.batch.concurrency)
            });
        let sweep_queue_arn = own_queue_arn(None, settings.queue.sweep_url.as_deref(), sdk);
        let webhook_secrets = WebhookSecretStore::new(sdk, &settings.webhooks, &settings.sdk);
        let work_queue_arn = own_queue_arn(
            settings.trust.work_queue_arn.as_deref(),
            settings.queue.url.as_deref(),
            sdk,
        );
        let reporter = settings.report.any().then(|| {
            std::sync::Arc::new(Reporter::new(
                &settings.report,
                settings.sdk.attempt_timeout,
            ))
        });
        let report_secrets =
            ReportSecrets::new(sdk, &settings.report, &settings.webhooks, &settings.sdk);
        let region = sdk
            .and_then(|s| s.region())
            .map(|r| r.to_string())
            .or_else(|| std::env::var("AWS_REGION").ok());
        let mut app = Self {
            reporter,
            report_secrets,
            region,
            settings,
            executor,
            queue,
            sweeps,
            sweep_queue_arn,
            webhook_secrets,
            work_queue_arn,
            watches: None,
            watch_queue_arn: None,
            publisher: None,
            webhook_slots: Default::default(),
        };
        if let Some((sdk, url)) = sdk.zip(app.settings.results.watch_queue_url.clone()) {
            app = app.with_results_sdk(sdk, &url);
        }
        app
    }

    /// The same function with its watch queue and results bus reached
    /// through `sdk` (tests point it somewhere other than Inspector).
    /// Nothing is watched unless `SCAN_RESULTS=events`.
    pub fn with_results_sdk(mut self, sdk: &aws_config::SdkConfig, watch_url: &str) -> Self {
        let r = &self.settings.results;
        if !r.enabled {
            return self;
        }
        self.watch_queue_arn =
            own_queue_arn(r.watch_queue_arn.as_deref(), Some(watch_url), Some(sdk));
        self.watches = Some(WatchQueue::new(sdk, watch_url));
        self.publisher = Some(Publisher::new(sdk, &r.event_bus, &r.event_source));
        self
    }

    /// The same function with its work queue's client built from `sdk`
    /// (tests point it somewhere other than Inspector).
    pub fn with_queue_sdk(mut self, sdk: &aws_config::SdkConfig, url: &str) -> Self {
        self.queue = Some(work::queue(sdk, url, &self.settings));
        let configured = self.settings.trust.work_queue_arn.as_deref();
        self.work_queue_arn = own_queue_arn(configured, Some(url), Some(sdk));
        if let Some(sweep_url) = self.settings.queue.sweep_url.clone() {
            self.sweeps = Some(
                WorkQueue::new(sdk, &sweep_url).with_concurrency(self.settings.batch.concurrency),
            );
            self.sweep_queue_arn = own_queue_arn(None, Some(&sweep_url), Some(sdk));
        }
        self
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
            lane: crate::domain::Lane::Interactive,
        }
    }

    /// An event that does not decode: logged, counted, answered with `e`.
    fn rejected(&self, e: Error, request_id: &str, started: Instant) -> Error {
        crate::telemetry::error(&e);
        Record::new(request_id, "unknown", started)
            .error(&e)
            .write();
        e
    }

    /// HTTP triggers always get an HTTP response (errors included); other
    /// triggers get a JSON summary, or a Lambda error when the work failed.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let started = Instant::now();
        let request_id = event.context.request_id.clone();
        let deadline = self.deadline(&event.context);
        // A batch from the work queue: the queue side decodes it.
        let payload = match event.payload {
            Value::Object(map) if crate::queue::message::is_sqs(&map) => {
                let sources = admission::batch_sources(&map);
                return match crate::queue::message::decode(map) {
                    Ok(messages) => {
                        // Refused whole (a non-retryable error, nothing run)
                        // unless every record comes from one of the
                        // function's own queues.
                        let batch = Batch {
                            messages,
                            request_id: &request_id,
                            deadline: deadline.bulk(),
                            started,
                        };
                        match self.admit_batch(&sources, &request_id)? {
                            own @ (OwnQueue::Work | OwnQueue::Sweep) => {
                                Ok(self.consume(&batch, own).await)
                            }
                            OwnQueue::Watch => Ok(Box::pin(self.consume_watches(&batch)).await),
                        }
                    }
                    Err(e) => Err(self.rejected(e, &request_id, started)),
                };
            }
            other => other,
        };
        let trigger = match decode(payload) {
            Ok(t) => t,
            Err(e) => return Err(self.rejected(e, &request_id, started)),
        };
        if let Trigger::Http(req) = &trigger
            && let Some(provider) = crate::ingress::webhook::provider_for(&req.path)
        {
            // Boxed: its future is not part of every invocation's.
            let answer = Box::pin(self.webhook(req, provider, &request_id, started, deadline));
            return Ok(answer.await);
        }
        // The function's own account: the default of TRUSTED_ACCOUNTS.
        let own_account = event.context.invoked_function_arn.split(':').nth(4);
        let at = Invocation {
            request_id: &request_id,
            own_account: own_account.filter(|a| !a.is_empty()),
        };
        // Authenticated, routed, and through the gate: only a permit runs.
        let routed = self
            .authenticate(&trigger, &request_id)
            .and_then(|()| route(&trigger, &self.settings.limits, &self.settings.trust, at))
            .and_then(|action| self.permit(&trigger, action, &request_id));
        // A sweep by selector: queued whole, answered at once.
        if let Ok(permit) = &routed
            && permit.action().is_sweep()
            && !self.settings.dry_run
        {
            return Box::pin(self.start_sweep(&trigger, permit, &request_id, started)).await;
        }
        let operation = routed.as_ref().ok().map(|p| p.action().operation().name());
        let resource = routed
            .as_ref()
            .map(|p| p.action().describe())
            .unwrap_or_default();
        // What finished, and (non-HTTP fan-outs) what is left to do.
        let (result, rest) = match &routed {
            Ok(action) => match self.execute(&trigger, action, deadline).await {
                Ok(split) => (Ok(split.finished), split.rest),
                Err(e) => (Err(e), None),
            },
            Err(e) => (Err(e.clone()), None),
        };
        crate::telemetry::outcome(&result);
        Record {
            action: Some(operation.unwrap_or("none")),
            resource: Some(bounded(&resource, 256)),
            who: trigger.attribution(),
            ..Record::new(&request_id, trigger.kind(), started)
        }
        .result(&result)
        .write();

        // Every scan started is watched until it ends (SCAN_RESULTS).
        let requested = crate::ingress::requested::requested(&trigger);
        if let Ok(outcome) = &result
            && let Err(e) = self.watch(outcome, &requested, &request_id).await
            && !matches!(trigger, Trigger::Http(_))
        {
            // Retried: the start is idempotent, and SQS drops the second watch.
            return Err(e);
        }
        match (&trigger, result) {
            (Trigger::Http(req), Ok(outcome)) => match rest {
                // A fan-out above the HTTP inline limit (100): queued whole, 202.
                Some(rest) => {
                    let permit = routed.expect("an outcome implies a permitted action");
                    let queued = self
                        .settle(&trigger, permit.action(), outcome, Some(rest), &request_id)
                        .await;
                    Ok(envelope(
                        req.flavor,
                        match queued {
                            Ok(answer) => http_queued(&answer),
                            Err(e) => http_error(&e),
                        },
                    ))
                }
                None => Ok(envelope(req.flavor, http_success(req, &outcome))),
            },
            (Trigger::Http(req), Err(e)) => Ok(envelope(req.flavor, http_error(&e))),
            (_, Ok(outcome)) => {
                let permit = routed.expect("an outcome implies a permitted action");
                let planned = match &outcome {
                    Outcome::DryRun(calls) => self.planned_results(calls, &requested),
                    _ => serde_json::Value::Null,
                };
                let mut answer = self
                    .settle(&trigger, permit.action(), outcome, rest, &request_id)
                    .await?;
                if !planned.is_null() {
                    answer["results"] = planned;
                }
                Ok(answer)
            }
            (_, Err(e)) => Err(e),
        }
    }
}

/// What a queue message came to, for the batch's record: projects a sweep
/// selected, messages its work went out in, items finished.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    selected: usize,
    queued: usize,
    finished: usize,
}

/// A batch from one of the function's own queues, and the invocation that
/// brought it.
struct Batch<'a> {
    messages: Vec<crate::queue::QueuedMessage>,
    request_id: &'a str,
    deadline: Deadline,
    started: Instant,
}

/// One of the function's own queues, by ARN (batches are accepted only
/// from these): as the settings hold it (tests), else made from its URL and the region (the
/// SDK's, else `AWS_REGION`).
fn own_queue_arn(
    configured: Option<&str>,
    url: Option<&str>,
    sdk: Option<&aws_config::SdkConfig>,
) -> Option<String> {
    if let Some(arn) = configured {
        return Some(arn.to_string());
    }
    let region = sdk
        .and_then(|s| s.region())
        .map(|r| r.to_string())
        .or_else(|| std::env::var("AWS_REGION").ok());
    url.and_then(|u| crate::domain::gate::queue_arn(u, region.as_deref()))
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
