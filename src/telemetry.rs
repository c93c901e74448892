//! Metrics, through the `metrics` facade: `main` installs the CloudWatch
//! Embedded Metric Format recorder and flushes one EMF document per
//! invocation; tests install their own. Names are the runbook's.

use crate::domain::{Direction, Error, Operation, Outcome};
use std::time::Duration;

/// The EMF namespace: fixed, because the template's dashboard and alarms
/// name it.
pub const NAMESPACE: &str = "InspectorScanRouter";

/// Every metric the function writes (the docs' metrics table is checked
/// against this list, and this list against the constants below).
const NAMED: &[&str] = &[
    SCANS_STARTED,
    RUNS_STARTED,
    EVENTS_SKIPPED,
    ERRORS,
    AWS_CALL_LATENCY,
    CALLS_THROTTLED,
    TIME_PACED,
    ITEMS_QUEUED,
    MESSAGES_QUEUED,
    MESSAGES_RETRIED,
    MESSAGES_REJECTED,
    MESSAGES_DEAD_LETTERED,
    WATCHES_SENT,
    SCANS_FINISHED,
    WATCH_AGE,
    WATCHES_TIMED_OUT,
    REPORTS_SENT,
    REPORTS_FAILED,
    SWEEP_PROJECTS_SELECTED,
    SWEEP_PAGES_READ,
];

/// Every metric the function writes: the named ones here, and each
/// scan-configuration direction's pair (`domain::configurations`).
pub fn metrics() -> Vec<&'static str> {
    let mut all = NAMED.to_vec();
    for d in Direction::ALL {
        let (ok, failed) = d.metrics();
        all.extend([ok, failed]);
    }
    all
}

pub const SCANS_STARTED: &str = "ScansStarted";
pub const RUNS_STARTED: &str = "AssessmentRunsStarted";
pub const EVENTS_SKIPPED: &str = "EventsSkipped";
pub const ERRORS: &str = "Errors";
pub const AWS_CALL_LATENCY: &str = "AwsCallLatency";
/// Items sent to the work queue, and the messages that carried them.
pub const ITEMS_QUEUED: &str = "ItemsQueued";
pub const MESSAGES_QUEUED: &str = "MessagesQueued";
/// Work-queue messages named in `batchItemFailures` (delivered again,
/// then dead-lettered after maxReceiveCount receives).
pub const MESSAGES_RETRIED: &str = "MessagesRetried";
/// Work-queue messages that are not a valid request (they fail every time).
pub const MESSAGES_REJECTED: &str = "MessagesRejected";

fn count(name: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!(name).increment(n as u64);
    }
}

pub fn error(e: &Error) {
    error_code(e.code());
}

fn error_code(code: &str) {
    metrics::counter!(ERRORS, "code" => code.to_string()).increment(1);
}

/// Code of the `Errors` metric for a fan-out or batch that finished with
/// failed items (the runbook alarms on it).
pub const PARTIAL_FAILURE: &str = "PartialFailure";

/// Record what an invocation did.
pub fn outcome(result: &Result<Outcome, Error>) {
    let outcome = match result {
        Ok(o) => o,
        Err(e) => return error(e),
    };
    if outcome.failed_items() > 0 {
        error_code(PARTIAL_FAILURE);
    }
    match outcome {
        Outcome::ScanStarted(_) => count(SCANS_STARTED, 1),
        Outcome::Scans(items) => {
            count(
                SCANS_STARTED,
                items.iter().filter(|i| i.result.is_ok()).count(),
            );
            items
                .iter()
                .filter_map(|i| i.result.as_ref().err())
                .for_each(error);
        }
        Outcome::RunStarted(r) => count(RUNS_STARTED, usize::from(!r.already_started)),
        Outcome::Runs(items) => {
            count(
                RUNS_STARTED,
                items
                    .iter()
                    .filter(|i| i.result.as_ref().is_ok_and(|r| !r.already_started))
                    .count(),
            );
            items
                .iter()
                .filter_map(|i| i.result.as_ref().err())
                .for_each(error);
        }
        Outcome::Configured(c) => {
            for (metric, n) in c.metrics() {
                count(metric, n);
            }
        }
        Outcome::Skipped(_) => count(EVENTS_SKIPPED, 1),
        Outcome::Scan(_) | Outcome::Findings(_) | Outcome::DryRun(_) => {}
    }
}

/// Items and messages sent to the work queue.
pub fn queued(items: usize, messages: usize) {
    count(ITEMS_QUEUED, items);
    count(MESSAGES_QUEUED, messages);
}

/// Projects a sweep by selector selected (its work sent to the sweep
/// queue), and the pages it read for them.
pub const SWEEP_PROJECTS_SELECTED: &str = "SweepProjectsSelected";
pub const SWEEP_PAGES_READ: &str = "SweepPagesRead";

/// One sweep message's expansion: projects selected, pages read.
pub fn sweep(selected: usize, pages: usize) {
    count(SWEEP_PROJECTS_SELECTED, selected);
    count(SWEEP_PAGES_READ, pages);
}

/// A work-queue batch answered: messages to deliver again, and how many of
/// them were not valid requests.
pub fn batch(retried: usize, rejected: usize) {
    count(MESSAGES_RETRIED, retried);
    count(MESSAGES_REJECTED, rejected);
}

/// Work-queue messages sent to the dead-letter queue because their work
/// stayed unfinished past `THROTTLED_RETRY_HOURS`.
pub const MESSAGES_DEAD_LETTERED: &str = "MessagesDeadLettered";

pub fn dead_lettered(messages: usize) {
    count(MESSAGES_DEAD_LETTERED, messages);
}

/// Scan results: watches sent (one per scan started), scans finished by
/// `status` (`SUCCESSFUL`, `FAILED`, `SKIPPED`, `TIMED_OUT`), how long
/// after its start each was seen to end, and watches that gave up.
pub const WATCHES_SENT: &str = "ScanWatchesSent";
pub const SCANS_FINISHED: &str = "ScansFinished";
pub const WATCH_AGE: &str = "ScanWatchAge";
pub const WATCHES_TIMED_OUT: &str = "ScanWatchesTimedOut";

pub fn watches_sent(n: usize) {
    count(WATCHES_SENT, n);
}

/// Check runs and commit statuses sent (`ReportsSent`), and reports that
/// failed (`ReportsFailed`, each attempt; tried again at the next look),
/// by provider (`github`, `gitlab`).
pub const REPORTS_SENT: &str = "ReportsSent";
pub const REPORTS_FAILED: &str = "ReportsFailed";

pub fn report_sent(provider: &str) {
    metrics::counter!(REPORTS_SENT, "provider" => provider.to_string()).increment(1);
}

pub fn report_failed(provider: &str) {
    metrics::counter!(REPORTS_FAILED, "provider" => provider.to_string()).increment(1);
}

/// One results event published: the scan's status and the watch's age.
pub fn scan_finished(status: &str, age: Duration) {
    metrics::counter!(SCANS_FINISHED, "status" => status.to_string()).increment(1);
    metrics::histogram!(WATCH_AGE).record(age.as_secs_f64());
    if status == crate::domain::completion::TIMED_OUT {
        count(WATCHES_TIMED_OUT, 1);
    }
}

/// Inspector calls the service throttled (each attempt; the operation is
/// in the log line).
pub const CALLS_THROTTLED: &str = "CallsThrottled";
/// Milliseconds calls waited for the pacer's next slot.
pub const TIME_PACED: &str = "TimePaced";

pub fn throttled(op: Operation) {
    tracing::debug!(operation = op.name(), "call throttled");
    metrics::counter!(CALLS_THROTTLED).increment(1);
}

pub fn paced(waited: Duration) {
    if !waited.is_zero() {
        metrics::counter!(TIME_PACED).increment(waited.as_millis() as u64);
    }
}

/// Latency of one AWS call (all its attempts), in milliseconds.
pub fn aws_call(op: Operation, took: Duration) {
    metrics::histogram!(AWS_CALL_LATENCY, "operation" => op.name())
        .record(took.as_secs_f64() * 1000.0);
}

/// Crates whose own logs stop at `info`, whatever level is asked for: at
/// `trace` the runtime logs each raw event (bearer tokens, the IAM
/// authorizer's keys, whole bodies), and the HTTP and signing stack logs
/// headers and canonical requests.
pub const QUIET_CRATES: [&str; 12] = [
    "lambda_runtime",
    "lambda_runtime_api_client",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_smithy_types",
    "aws_sigv4",
    "aws_config",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
];

/// The log filter for `level` (`AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG`): this
/// function's own logs at that level, [`QUIET_CRATES`] at `info` at most.
/// A level that does not parse is `info`.
pub fn log_filter(level: &str) -> tracing_subscriber::EnvFilter {
    let mut filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    for krate in QUIET_CRATES {
        if let Ok(directive) = format!("{krate}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn trace_never_reaches_the_runtimes_raw_event() {
        let out = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(log_filter("trace"))
            .with_writer(move || Writer(sink.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime::layers::api_response", body = "Bearer eyJsecret", "raw JSON event received from Lambda");
            tracing::trace!(target: "aws_sigv4::http_request", "canonical request x-amz-security-token:IQoJsecret");
            tracing::trace!(target: "inspector_scan_router::app", "own trace line");
            tracing::info!(target: "lambda_runtime", "runtime info line");
        });
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        assert!(
            !text.contains("eyJsecret") && !text.contains("IQoJsecret"),
            "{text}"
        );
        assert!(
            text.contains("own trace line") && text.contains("runtime info line"),
            "{text}"
        );
    }

    struct Writer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Writer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
