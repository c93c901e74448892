//! The verdict on the commit, tied in (`REPORT_TO`): a watch that carries a
//! report target (a scan a GitHub or GitLab push started) reports through
//! the report adapter while the scan runs (a check run in progress, a
//! `running` status, once) and when it ends (completed with the gate's
//! conclusion). Never in the way: a report that fails is counted
//! (`ReportsFailed`), logged with its code only, and tried again at the
//! watch's next look; it never fails a scan's start or a webhook's answer.
//! The credentials come from the secrets adapter, read when first needed.

use super::App;
use crate::domain::completion::{Watch, iso8601};
use crate::domain::verdict::{GITHUB, Target, verdict};
use crate::domain::{Deadline, PlannedCall};
use crate::queue::later::unix_now;
use crate::report::{Credentials, ReportError, Started, planned_calls};
use serde_json::{Value, json};
use std::time::Duration;

/// After the watch's end (`SCAN_WATCH_MAX_HOURS`), a final report that
/// keeps failing is tried this much longer before the results event is
/// published without it.
pub(super) const REPORT_GRACE: Duration = Duration::from_secs(3600);

impl App {
    /// The target of a watch, when `REPORT_TO` names its provider; checked
    /// again as read back from the message (names and hex only).
    fn reported(&self, w: &Watch) -> Option<Target> {
        w.report
            .clone()
            .and_then(Target::checked)
            .filter(|t| self.settings.report.to(&t.provider) && self.reporter.is_some())
    }

    /// The Inspector console, where the findings are.
    fn details_url(&self) -> String {
        let region = self.region.as_deref().unwrap_or("us-east-1");
        format!(
            "https://{region}.console.aws.amazon.com/inspector/v2/home?region={region}#/findings/all"
        )
    }

    async fn credentials(&self, provider: &str) -> Result<Credentials, ReportError> {
        let e = |e: crate::domain::Error| ReportError {
            code: "Credentials".to_string(),
            message: e.to_string(),
            retry_after: None,
        };
        if provider == GITHUB {
            self.report_secrets
                .github()
                .await
                .map(Credentials::GitHub)
                .map_err(e)
        } else {
            self.report_secrets
                .gitlab()
                .await
                .map(Credentials::GitLab)
                .map_err(e)
        }
    }

    /// How long a report may take: one operation timeout, within what the
    /// invocation has left for calls; `None` when nothing may start.
    fn report_budget(&self, deadline: Deadline) -> Option<Duration> {
        let budget = self.settings.sdk.operation_timeout;
        match deadline.time_for_calls() {
            Some(left) if left.is_zero() => None,
            Some(left) => Some(budget.min(left)),
            None => Some(budget),
        }
    }

    /// What every report of a watch's scan says of it.
    fn started<'a>(&'a self, w: &'a Watch) -> Started<'a> {
        Started {
            scan_id: &w.scan_id,
            name: &self.settings.report.check_name,
            started_at: iso8601(w.started_at),
            details_url: self.details_url(),
            now: unix_now(),
        }
    }

    /// The scan is running: reported once (best effort).
    pub(super) async fn report_running(&self, w: &Watch, request_id: &str, deadline: Deadline) {
        let Some(t) = self.reported(w) else { return };
        let Some(reporter) = self.reporter.as_deref() else {
            return;
        };
        let s = self.started(w);
        let sent = self
            .bounded_report(deadline, async {
                let c = self.credentials(&t.provider).await?;
                reporter.started(&c, &t, &s).await
            })
            .await;
        match sent {
            Ok(false) => {}
            Ok(true) => {
                crate::telemetry::report_sent(&t.provider);
                tracing::info!(
                    request_id,
                    scan_id = w.scan_id,
                    provider = t.provider,
                    repository = t.repository,
                    commit = t.sha,
                    "reported: scan running"
                );
            }
            Err(e) => failed(request_id, w, &t, &e, "running"),
        }
    }

    /// The scan ended (`detail`, the results event's): `true` once the
    /// verdict was sent, or when there is none to send; `false` to try
    /// again at the next look.
    pub(super) async fn report_finished(
        &self,
        w: &Watch,
        detail: &Value,
        request_id: &str,
        deadline: Deadline,
    ) -> bool {
        let Some(t) = self.reported(w) else {
            return true;
        };
        let Some(reporter) = self.reporter.as_deref() else {
            return true;
        };
        let v = verdict(detail, &self.settings.report.gate);
        let s = self.started(w);
        let completed_at = detail["completedAt"]
            .as_str()
            .map_or_else(|| iso8601(s.now), str::to_string);
        let sent = self
            .bounded_report(deadline, async {
                let c = self.credentials(&t.provider).await?;
                reporter.finished(&c, &t, &s, &v, &completed_at).await
            })
            .await;
        match sent {
            Ok(()) => {
                crate::telemetry::report_sent(&t.provider);
                tracing::info!(
                    request_id,
                    scan_id = w.scan_id,
                    provider = t.provider,
                    repository = t.repository,
                    commit = t.sha,
                    conclusion = v.conclusion.github(),
                    "reported: scan finished"
                );
                true
            }
            Err(e) => {
                failed(request_id, w, &t, &e, "finished");
                false
            }
        }
    }

    async fn bounded_report<T>(
        &self,
        deadline: Deadline,
        report: impl Future<Output = Result<T, ReportError>>,
    ) -> Result<T, ReportError> {
        let Some(budget) = self.report_budget(deadline) else {
            return Err(ReportError {
                code: "Deadline".to_string(),
                message: "no time left in this invocation".to_string(),
                retry_after: None,
            });
        };
        tokio::time::timeout(budget, report)
            .await
            .unwrap_or_else(|_| {
                Err(ReportError {
                    code: "Timeout".to_string(),
                    message: format!("the report took more than {} ms", budget.as_millis()),
                    retry_after: None,
                })
            })
    }

    /// A dry run's planned report for a push's scan.
    pub(super) fn planned_report(&self, calls: &[PlannedCall], target: Option<&Target>) -> Value {
        let r = &self.settings.report;
        let starts = calls.iter().any(|c| c.operation == "StartCodeSecurityScan");
        match target.filter(|t| starts && r.to(&t.provider)) {
            Some(t) => json!({
                "to": t.provider, "repository": t.repository, "commit": t.sha,
                "name": r.check_name, "gate": r.gate.describe(),
                "detailsUrl": self.details_url(),
                "calls": planned_calls(t, r),
            }),
            None => Value::Null,
        }
    }
}

fn failed(request_id: &str, w: &Watch, t: &Target, e: &ReportError, which: &str) {
    crate::telemetry::report_failed(&t.provider);
    tracing::warn!(
        request_id,
        scan_id = w.scan_id,
        provider = t.provider,
        repository = t.repository,
        commit = t.sha,
        report = which,
        error_code = e.code,
        error = %e,
        retry_after_seconds = e.retry_after,
        "report not sent; tried again at the next look"
    );
}
