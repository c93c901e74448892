//! Scan results: a watch on every scan the function starts, and the one
//! `Code Security Scan Completed` event it ends in. What a watch is, when
//! it comes back, and what the event says; no I/O (the watch queue is
//! `queue::watch`, the event bus `results`, the wiring `app/watches.rs`).

use super::error::{MAX_SHOWN, bounded, is_bounded};
pub use super::outcome::Findings;
use super::outcome::ScanDetails;
use super::validate::{is_project_id, is_scan_id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// `detail-type` of the results event.
pub const DETAIL_TYPE: &str = "Code Security Scan Completed";
/// The status a watch gives a scan still running at its end.
pub const TIMED_OUT: &str = "TIMED_OUT";
/// The scan statuses Inspector ends a scan in.
pub const TERMINAL: [&str; 3] = ["SUCCESSFUL", "FAILED", "SKIPPED"];
/// How late a look may come back past the watch's end and still be
/// answered: the watch queue's retention (`template.yaml`, 2 days). A look
/// held up by a backlog (the function throttled, the queue behind) still
/// ends in its event, `TIMED_OUT` at worst; only a watch older than anything
/// the queue could hold is refused.
pub const LATE: Duration = Duration::from_secs(2 * 24 * 3600);

/// How a scan was asked for: the trigger and, where known, who asked and
/// about what. Every value escaped and bounded when it is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requested {
    /// `http`, `webhook`, `push`, `command`, `direct` or `queue`.
    pub trigger: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "ref")]
    pub git_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The commit a push's scan reports on (`REPORT_TO`): carried by the
    /// watch, never part of the results event.
    #[serde(skip)]
    pub report: Option<super::verdict::Target>,
}

impl Requested {
    /// A request by `trigger`, nothing else known.
    pub fn by(trigger: &str) -> Self {
        Requested {
            trigger: bounded(trigger, MAX_SHOWN),
            ..Requested::default()
        }
    }

    /// Every value escaped and bounded (for one read back from a message).
    pub fn bounded(self) -> Self {
        let b = |v: Option<String>| v.map(|v| bounded(&v, MAX_SHOWN));
        Requested {
            trigger: bounded(&self.trigger, MAX_SHOWN),
            caller: b(self.caller),
            repository: b(self.repository),
            commit: b(self.commit),
            git_ref: b(self.git_ref),
            event_id: b(self.event_id),
            idempotency_key: b(self.idempotency_key),
            report: self.report,
        }
    }
}

/// A scan the function started, to watch until it ends: the watch
/// message's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Watch {
    pub scan_id: String,
    pub project_id: String,
    /// When the function started it (Unix seconds).
    pub started_at: u64,
    pub requested: Requested,
    /// Where the verdict goes (a GitHub check run, a GitLab status), for a
    /// scan a push started and `REPORT_TO` names its provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<super::verdict::Target>,
}

/// How far in the future a watch's `startedAt` may be (clocks of two
/// environments), in seconds.
pub const CLOCK_SKEW: u64 = 60;

impl Watch {
    /// A watch read back from the queue, validated like any input before
    /// anything is looked at or published: `scanId` and `projectId` by their
    /// patterns, `startedAt` neither in the future nor older than the watch's
    /// end (`SCAN_WATCH_MAX_HOURS`, plus one largest delay for the last look
    /// to arrive, plus [`LATE`] for a backlog), every value of `requested` as the function bounded it.
    /// `Err` names what is wrong (values are not quoted).
    pub fn check(&self, t: &Timing, now: u64) -> Result<(), String> {
        if !is_scan_id(&self.scan_id) {
            return Err("scanId does not match its pattern".to_string());
        }
        if !is_project_id(&self.project_id) {
            return Err("projectId does not match its pattern".to_string());
        }
        if self.started_at > now.saturating_add(CLOCK_SKEW) {
            return Err("startedAt is in the future".to_string());
        }
        let oldest = t
            .max_age
            .saturating_add(t.max_delay)
            .saturating_add(LATE)
            .as_secs();
        if now.saturating_sub(self.started_at) > oldest {
            return Err(format!(
                "startedAt is older than the watch queue could hold ({oldest} s)"
            ));
        }
        let r = &self.requested;
        if r.trigger.is_empty() {
            return Err("requested.trigger is empty".to_string());
        }
        for (name, value) in [
            ("trigger", Some(&r.trigger)),
            ("caller", r.caller.as_ref()),
            ("repository", r.repository.as_ref()),
            ("commit", r.commit.as_ref()),
            ("ref", r.git_ref.as_ref()),
            ("eventId", r.event_id.as_ref()),
            ("idempotencyKey", r.idempotency_key.as_ref()),
        ] {
            if value.is_some_and(|v| !is_bounded(v, MAX_SHOWN)) {
                return Err(format!("requested.{name} is not bounded"));
            }
        }
        Ok(())
    }
}

/// The watch's timing: `SCAN_WATCH_FIRST_DELAY_SECONDS`, the largest delay
/// (SQS's 900 s), `SCAN_WATCH_MAX_HOURS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_age: Duration,
}

/// What to do with a watch after a look at its scan.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// The scan ended (or the watch gave up): publish this `detail`.
    Publish(Value),
    /// Look again after this long.
    Again(Duration),
}

/// Is `status` one Inspector ends a scan in?
pub fn terminal(status: Option<&str>) -> bool {
    status.is_some_and(|s| TERMINAL.contains(&s))
}

/// The delay before the `receives`-th look comes back: the first delay
/// doubled per look, at most the largest; never past the watch's end
/// (`age` is how long the watch has run), at least one second.
pub fn next_delay(t: &Timing, receives: u32, age: Duration) -> Duration {
    let grown = t
        .first_delay
        .saturating_mul(1u32 << receives.min(16))
        .min(t.max_delay);
    let left = t.max_age.saturating_sub(age);
    grown.min(left).max(Duration::from_secs(1))
}

/// After a look at the scan (`seen`: what GetCodeSecurityScan said, or why
/// it could not be read), at `now` (Unix seconds), the `receives`-th look.
pub fn decide(
    w: &Watch,
    seen: Result<&ScanDetails, &str>,
    t: &Timing,
    receives: u32,
    now: u64,
) -> Next {
    let age = Duration::from_secs(now.saturating_sub(w.started_at));
    if let Ok(d) = seen
        && terminal(d.status.as_deref())
    {
        return Next::Publish(detail(w, seen, now));
    }
    if age >= t.max_age {
        return Next::Publish(detail(w, seen, now));
    }
    Next::Again(next_delay(t, receives, age))
}

/// The results event's `detail`: AWS's field names, values escaped and
/// bounded. `seen` is the scan as last read (an error's code when it could
/// not be); a scan not in a terminal status is `TIMED_OUT`.
pub fn detail(w: &Watch, seen: Result<&ScanDetails, &str>, now: u64) -> Value {
    let b = |v: &str| bounded(v, MAX_SHOWN);
    let (status, reason, commit, created, updated, findings) = match seen {
        Ok(d) if terminal(d.status.as_deref()) => (
            d.status.clone().unwrap_or_default(),
            d.status_reason.clone(),
            d.last_commit_id.clone(),
            d.created_at.clone(),
            d.updated_at.clone(),
            d.findings
                .filter(|_| d.status.as_deref() == Some("SUCCESSFUL")),
        ),
        Ok(d) => (
            TIMED_OUT.to_string(),
            Some(format!(
                "still {} after the watch's {} s (SCAN_WATCH_MAX_HOURS)",
                d.status.as_deref().unwrap_or("without a status"),
                now.saturating_sub(w.started_at)
            )),
            d.last_commit_id.clone(),
            d.created_at.clone(),
            None,
            None,
        ),
        Err(code) => (
            TIMED_OUT.to_string(),
            Some(format!(
                "GetCodeSecurityScan did not answer before the watch ended: {code}"
            )),
            None,
            None,
            None,
            None,
        ),
    };
    let mut detail = json!({
        "scanId": b(&w.scan_id),
        "projectId": b(&w.project_id),
        "status": b(&status),
        "requested": w.requested,
        "startedAt": created.map_or_else(|| iso8601(w.started_at), |c| b(&c)),
        "completedAt": updated.map_or_else(|| iso8601(now), |c| b(&c)),
    });
    if let Some(r) = reason {
        detail["statusReason"] = bounded(&r, 512).into();
    }
    if let Some(c) = commit {
        detail["lastCommitId"] = b(&c).into();
    }
    if let Some(f) = findings {
        detail["findings"] = json!(f);
    }
    detail
}

/// Unix seconds as ISO 8601 in UTC (`2026-05-20T12:00:00Z`).
pub fn iso8601(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing() -> Timing {
        Timing {
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(900),
            max_age: Duration::from_secs(6 * 3600),
        }
    }

    fn watch() -> Watch {
        Watch {
            scan_id: "s-1".into(),
            project_id: "project-1".into(),
            started_at: 1_000,
            requested: Requested::by("push"),
            report: None,
        }
    }

    fn scan(status: &str) -> ScanDetails {
        ScanDetails {
            project_id: "project-1".into(),
            scan_id: "s-1".into(),
            status: Some(status.into()),
            status_reason: None,
            created_at: None,
            updated_at: None,
            last_commit_id: Some("abc".into()),
            findings: Some(Findings {
                critical: 1,
                high: 2,
                medium: 3,
                all: 9,
            }),
        }
    }

    #[test]
    fn the_delay_doubles_to_the_largest_and_never_passes_the_end() {
        let t = timing();
        let d: Vec<u64> = (1..=6)
            .map(|n| next_delay(&t, n, Duration::ZERO).as_secs())
            .collect();
        assert_eq!(d, [120, 240, 480, 900, 900, 900]);
        let near_end = t.max_age - Duration::from_secs(30);
        assert_eq!(next_delay(&t, 9, near_end), Duration::from_secs(30));
    }

    #[test]
    fn in_progress_comes_back_terminal_publishes_and_past_the_end_times_out() {
        let (t, w) = (timing(), watch());
        assert!(matches!(
            decide(&w, Ok(&scan("IN_PROGRESS")), &t, 1, 1_100),
            Next::Again(_)
        ));
        assert!(matches!(
            decide(&w, Err("ThrottlingException"), &t, 1, 1_100),
            Next::Again(_)
        ));
        let Next::Publish(d) = decide(&w, Ok(&scan("SUCCESSFUL")), &t, 3, 1_300) else {
            panic!("a finished scan is published")
        };
        assert_eq!(d["status"], "SUCCESSFUL");
        assert_eq!(d["findings"]["critical"], 1);
        assert_eq!(d["lastCommitId"], "abc");
        assert_eq!(d["requested"]["trigger"], "push");
        let Next::Publish(d) = decide(&w, Ok(&scan("IN_PROGRESS")), &t, 30, 1_000 + 6 * 3600)
        else {
            panic!("past the end: published")
        };
        assert_eq!(d["status"], TIMED_OUT);
        assert!(d.get("findings").is_none());
        let Next::Publish(d) = decide(&w, Err("AccessDenied"), &t, 30, 1_000 + 7 * 3600) else {
            panic!("an unreadable scan past the end: published")
        };
        assert_eq!(d["status"], TIMED_OUT);
        assert!(d["statusReason"].as_str().unwrap().contains("AccessDenied"));
    }

    #[test]
    fn findings_only_for_a_successful_scan() {
        let d = detail(&watch(), Ok(&scan("FAILED")), 2_000);
        assert!(d.get("findings").is_none());
    }

    #[test]
    fn iso8601_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_233_600), "2026-11-21T04:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn a_watch_is_checked_like_any_input() {
        let now = 1_000_000;
        let good = Watch {
            scan_id: "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3".into(),
            project_id: "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d".into(),
            started_at: now - 600,
            requested: Requested {
                caller: Some(bounded("iam:arn:aws:sts::1:assumed-role/\"x\"", MAX_SHOWN)),
                ..Requested::by("http")
            },
            report: None,
        };
        let t = timing();
        assert_eq!(good.check(&t, now), Ok(()));
        let oldest = (t.max_age + t.max_delay + LATE).as_secs();
        let at = |started_at| Watch {
            started_at,
            ..good.clone()
        };
        assert_eq!(at(now - oldest).check(&t, now), Ok(()), "the last look");
        assert_eq!(at(now + CLOCK_SKEW).check(&t, now), Ok(()));
        let bad = [
            (at(0), "older"),
            (at(now - oldest - 1), "older"),
            (at(now + CLOCK_SKEW + 1), "future"),
            (
                Watch {
                    scan_id: "../x".into(),
                    ..good.clone()
                },
                "scanId",
            ),
            (
                Watch {
                    project_id: "project-1".into(),
                    ..good.clone()
                },
                "projectId",
            ),
            (
                Watch {
                    requested: Requested {
                        repository: Some("a".repeat(2000)),
                        ..good.requested.clone()
                    },
                    ..good.clone()
                },
                "requested.repository",
            ),
            (
                Watch {
                    requested: Requested {
                        commit: Some("line\nforged".into()),
                        ..good.requested.clone()
                    },
                    ..good.clone()
                },
                "requested.commit",
            ),
            (
                Watch {
                    requested: Requested::by(""),
                    ..good.clone()
                },
                "trigger",
            ),
        ];
        for (watch, why) in bad {
            let e = watch.check(&t, now).unwrap_err();
            assert!(e.contains(why), "{why}: {e}");
        }
    }
}
