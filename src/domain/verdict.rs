//! The verdict on a commit: where a scan started by a push reports
//! (a GitHub check run, a GitLab commit status), the findings gate
//! (`FINDINGS_GATE`), and what a finished scan's report says. No I/O (the
//! adapter is `report`, the wiring `app/reports.rs`).

use super::error::{MAX_SHOWN, bounded};
use super::outcome::Findings;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The providers a report goes to.
pub const GITHUB: &str = "github";
pub const GITLAB: &str = "gitlab";

/// The commit a scan started by a push reports on. Built from the push
/// payload; its values are only ever path segments under the configured
/// API host, never a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// `github` or `gitlab`.
    pub provider: String,
    /// `owner/name` (GitHub) or the project's `path_with_namespace` (GitLab).
    pub repository: String,
    /// The pushed commit (40 or 64 hex digits).
    pub sha: String,
    /// GitHub: the App installation the webhook named (`installation.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation: Option<u64>,
    /// GitLab: the project's numeric id (`project.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<u64>,
}

impl Target {
    /// A target only when every value has the shape it must have: a
    /// provider named, a repository of safe characters, a hex commit.
    pub fn checked(self) -> Option<Target> {
        let provider_ok = self.provider == GITHUB || self.provider == GITLAB;
        let sha_ok =
            matches!(self.sha.len(), 40 | 64) && self.sha.bytes().all(|b| b.is_ascii_hexdigit());
        let repo_ok = !self.repository.is_empty()
            && self.repository.len() <= 255
            && self.repository.split('/').all(|s| {
                !s.is_empty()
                    && s != "."
                    && s != ".."
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            })
            && (self.provider == GITLAB || self.repository.matches('/').count() == 1);
        (provider_ok && sha_ok && repo_ok).then_some(self)
    }
}

/// `FINDINGS_GATE`: a scan fails when any of these counts is reached
/// (`critical:1,high:10`: one critical or ten high findings). Empty: never.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate(pub Vec<(Severity, i64)>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Critical,
    High,
    Medium,
    All,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::All => "all",
        }
    }

    fn of(self, f: &Findings) -> i64 {
        match self {
            Severity::Critical => f.critical,
            Severity::High => f.high,
            Severity::Medium => f.medium,
            Severity::All => f.all,
        }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate(vec![(Severity::Critical, 1)])
    }
}

impl Gate {
    /// `severity:count` pairs, comma-separated (`critical`, `high`,
    /// `medium`, `all`; counts 1 or more), or `none`.
    pub fn parse(text: &str) -> Result<Gate, String> {
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(Gate(Vec::new()));
        }
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, count) = part
                .split_once(':')
                .ok_or_else(|| format!("{part}: expected severity:count"))?;
            let severity = match name.trim().to_ascii_lowercase().as_str() {
                "critical" => Severity::Critical,
                "high" => Severity::High,
                "medium" => Severity::Medium,
                "all" => Severity::All,
                _ => return Err(format!("{name}: not critical, high, medium or all")),
            };
            let count: i64 = count
                .trim()
                .parse()
                .ok()
                .filter(|c| *c >= 1)
                .ok_or_else(|| format!("{part}: the count is a whole number from 1"))?;
            out.push((severity, count));
        }
        if out.is_empty() {
            return Err("no severity:count".to_string());
        }
        Ok(Gate(out))
    }

    /// The first threshold `findings` reach, if any.
    pub fn reached(&self, findings: &Findings) -> Option<(Severity, i64)> {
        self.0.iter().copied().find(|(s, n)| s.of(findings) >= *n)
    }

    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "none".to_string();
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(s, n)| format!("{}:{n}", s.name()))
            .collect();
        parts.join(",")
    }
}

/// How a finished scan is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    Success,
    Failure,
    Skipped,
    TimedOut,
}

impl Conclusion {
    /// GitHub's check run `conclusion`.
    pub fn github(self) -> &'static str {
        match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failure",
            Conclusion::Skipped => "skipped",
            Conclusion::TimedOut => "timed_out",
        }
    }

    /// GitLab's commit status `state`. GitLab has no skipped state on this
    /// API: a skipped scan is `skipped`'s nearest, `canceled`, as is a watch
    /// that gave up.
    pub fn gitlab(self) -> &'static str {
        match self {
            Conclusion::Success => "success",
            Conclusion::Failure => "failed",
            Conclusion::Skipped | Conclusion::TimedOut => "canceled",
        }
    }
}

/// What a finished scan's report says: the conclusion, a one-line title
/// and a markdown summary, from the results event's `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub conclusion: Conclusion,
    pub title: String,
    pub summary: String,
}

/// The counts as one line: `1 critical, 2 high, 3 medium, 9 in all`.
pub fn counts(f: &Findings) -> String {
    format!(
        "{} critical, {} high, {} medium, {} in all",
        f.critical, f.high, f.medium, f.all
    )
}

/// The verdict on a results event's `detail` under `gate`.
pub fn verdict(detail: &Value, gate: &Gate) -> Verdict {
    let status = detail["status"].as_str().unwrap_or_default();
    let reason = detail["statusReason"]
        .as_str()
        .map(|r| bounded(r, MAX_SHOWN));
    let f = &detail["findings"];
    let n = |k: &str| f[k].as_i64().unwrap_or(0);
    let findings = f.is_object().then(|| Findings {
        critical: n("critical"),
        high: n("high"),
        medium: n("medium"),
        all: n("all"),
    });
    let scan = bounded(detail["scanId"].as_str().unwrap_or_default(), MAX_SHOWN);
    let (conclusion, title) = match status {
        "SUCCESSFUL" => {
            let f = findings.unwrap_or_default();
            match gate.reached(&f) {
                Some((s, n)) => (
                    Conclusion::Failure,
                    format!(
                        "{} — at least {n} {} (gate {})",
                        counts(&f),
                        s.name(),
                        gate.describe()
                    ),
                ),
                None => (Conclusion::Success, counts(&f)),
            }
        }
        "FAILED" => (
            Conclusion::Failure,
            format!(
                "The scan failed: {}",
                reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        "SKIPPED" => (
            Conclusion::Skipped,
            format!(
                "The scan was skipped: {}",
                reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        _ => (
            Conclusion::TimedOut,
            "The scan did not end while it was watched".to_string(),
        ),
    };
    let mut summary = format!(
        "**{}** — Amazon Inspector code security scan `{scan}`.\n\n",
        title
    );
    if let Some(f) = findings.filter(|_| status == "SUCCESSFUL") {
        summary.push_str(&format!(
            "| Severity | Active findings |\n|---|---|\n| Critical | {} |\n| High | {} |\n| Medium | {} |\n| All | {} |\n\n",
            f.critical, f.high, f.medium, f.all
        ));
    }
    summary.push_str(&format!(
        "Gate: `{}` (`FINDINGS_GATE`). The findings are in the Amazon Inspector console.",
        gate.describe()
    ));
    Verdict {
        conclusion,
        title: cut(&title, 200),
        summary: cut(&summary, 60_000),
    }
}

/// At most `max` bytes, cut at a character boundary.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// A GitHub App's id and private key (`GITHUB_APP_SECRET_ARN`). Shown
/// nowhere: its `Debug` names the app only.
#[derive(Clone, PartialEq, Eq)]
pub struct GitHubApp {
    pub app_id: String,
    pub private_key: String,
}

impl fmt::Debug for GitHubApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GitHubApp {{ app_id: {:?}, private_key: <hidden> }}",
            self.app_id
        )
    }
}

impl GitHubApp {
    /// `{"appId": "123" or 123, "privateKey": "-----BEGIN ..."}`; an error
    /// names the field, never a value.
    pub fn parse(text: &str) -> Result<GitHubApp, String> {
        let v: Value = serde_json::from_str(text).map_err(|_| "is not JSON".to_string())?;
        let app_id = match &v["appId"] {
            Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return Err("has no appId".to_string()),
        };
        let private_key = v["privateKey"]
            .as_str()
            .filter(|k| k.contains("-----BEGIN"))
            .ok_or_else(|| "has no privateKey in PEM".to_string())?
            .to_string();
        Ok(GitHubApp {
            app_id,
            private_key,
        })
    }
}

/// A GitLab access token (`GITLAB_TOKEN_SECRET_ARN`). Shown nowhere.
#[derive(Clone, PartialEq, Eq)]
pub struct GitLabToken(pub String);

impl fmt::Debug for GitLabToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GitLabToken(<hidden>)")
    }
}

impl GitLabToken {
    /// `{"token": "..."}`.
    pub fn parse(text: &str) -> Result<GitLabToken, String> {
        let v: Value = serde_json::from_str(text).map_err(|_| "is not JSON".to_string())?;
        v["token"]
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| GitLabToken(t.to_string()))
            .ok_or_else(|| "has no token".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detail(status: &str, f: (i64, i64, i64, i64)) -> Value {
        json!({"scanId": "s-1", "status": status, "statusReason": "no access",
               "findings": {"critical": f.0, "high": f.1, "medium": f.2, "all": f.3}})
    }

    #[test]
    fn the_gate_parses_and_fails_at_its_counts() {
        let gate = Gate::parse("critical:1, high:10").unwrap();
        assert_eq!(gate.describe(), "critical:1,high:10");
        let v = verdict(&detail("SUCCESSFUL", (0, 9, 5, 20)), &gate);
        assert_eq!(v.conclusion, Conclusion::Success);
        assert_eq!(v.title, "0 critical, 9 high, 5 medium, 20 in all");
        let v = verdict(&detail("SUCCESSFUL", (0, 10, 5, 20)), &gate);
        assert_eq!(v.conclusion, Conclusion::Failure);
        assert!(v.title.contains("at least 10 high"), "{}", v.title);
        assert!(v.summary.contains("| High | 10 |"), "{}", v.summary);
        let v = verdict(&detail("SUCCESSFUL", (1, 0, 0, 1)), &Gate::default());
        assert_eq!(v.conclusion, Conclusion::Failure);
        assert_eq!(
            verdict(
                &detail("SUCCESSFUL", (5, 5, 5, 5)),
                &Gate::parse("none").unwrap()
            )
            .conclusion,
            Conclusion::Success
        );
        for bad in ["", "critical", "critical:0", "low:1", "high:x", ","] {
            assert!(Gate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failed_skipped_and_timed_out_scans() {
        let g = Gate::default();
        let v = verdict(&detail("FAILED", (0, 0, 0, 0)), &g);
        assert_eq!(v.conclusion, Conclusion::Failure);
        assert_eq!(v.title, "The scan failed: no access");
        assert_eq!(
            verdict(&detail("SKIPPED", (0, 0, 0, 0)), &g).conclusion,
            Conclusion::Skipped
        );
        let t = verdict(&detail("TIMED_OUT", (0, 0, 0, 0)), &g).conclusion;
        assert_eq!((t.github(), t.gitlab()), ("timed_out", "canceled"));
    }

    #[test]
    fn targets_carry_only_safe_path_segments() {
        let t = |provider: &str, repo: &str, sha: &str| Target {
            provider: provider.into(),
            repository: repo.into(),
            sha: sha.into(),
            installation: None,
            project: None,
        };
        let sha = "9fceb02d0ae598e95dc970b74767f19372d61af8";
        assert!(
            t("github", "octo-org/payments-api", sha)
                .checked()
                .is_some()
        );
        assert!(t("gitlab", "group/sub/project", sha).checked().is_some());
        for (p, r, s) in [
            ("github", "octo-org/a/b", sha),
            ("github", "../x", sha),
            ("github", "evil.com@x/y", sha),
            ("github", "a/b?x=1", sha),
            ("bitbucket", "a/b", sha),
            ("github", "a/b", "main"),
        ] {
            assert!(t(p, r, s).checked().is_none(), "{p} {r} {s}");
        }
    }

    #[test]
    fn secrets_parse_and_never_show() {
        let app =
            GitHubApp::parse(r#"{"appId": 42, "privateKey": "-----BEGIN RSA PRIVATE KEY-----x"}"#)
                .unwrap();
        assert_eq!(app.app_id, "42");
        assert!(!format!("{app:?}").contains("BEGIN"));
        assert!(GitHubApp::parse(r#"{"appId": "1"}"#).is_err());
        let t = GitLabToken::parse(r#"{"token": "glpat-secret"}"#).unwrap();
        assert!(!format!("{t:?}").contains("glpat"));
        let e = GitLabToken::parse("glpat-secret").unwrap_err();
        assert!(!e.contains("glpat"));
    }
}
