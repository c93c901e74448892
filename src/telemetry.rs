//! Metrics, through the `metrics` facade: `main` installs the CloudWatch
//! Embedded Metric Format recorder and flushes one EMF document per
//! invocation; tests install their own. Names are the runbook's.

use crate::domain::{Error, Operation, Outcome};
use std::time::Duration;

pub const SCANS_STARTED: &str = "ScansStarted";
pub const RUNS_STARTED: &str = "AssessmentRunsStarted";
pub const DISASSOCIATIONS_SUCCEEDED: &str = "DisassociationsSucceeded";
pub const DISASSOCIATIONS_FAILED: &str = "DisassociationsFailed";
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
        Outcome::Disassociated(b) => {
            count(DISASSOCIATIONS_SUCCEEDED, b.successful_associations.len());
            count(DISASSOCIATIONS_FAILED, b.failed_associations.len());
        }
        Outcome::Skipped(_) => count(EVENTS_SKIPPED, 1),
        Outcome::Scan(_) | Outcome::DryRun(_) => {}
    }
}

/// Items and messages sent to the work queue.
pub fn queued(items: usize, messages: usize) {
    count(ITEMS_QUEUED, items);
    count(MESSAGES_QUEUED, messages);
}

/// A work-queue batch answered: messages to deliver again, and how many of
/// them were not valid requests.
pub fn batch(retried: usize, rejected: usize) {
    count(MESSAGES_RETRIED, retried);
    count(MESSAGES_REJECTED, rejected);
}

/// Latency of one AWS call (all its attempts), in milliseconds.
pub fn aws_call(op: Operation, took: Duration) {
    metrics::histogram!(AWS_CALL_LATENCY, "operation" => op.name())
        .record(took.as_secs_f64() * 1000.0);
}
