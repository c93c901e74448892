//! The report adapter: the verdict on a commit, as a GitHub check run or a
//! GitLab commit status (`REPORT_TO`), for the scans pushes start. It
//! knows nothing of triggers, queues, Inspector or Secrets Manager: the
//! wiring (`app/reports.rs`) hands it the credentials and what to say.
//! Only the configured API hosts (`GITHUB_API_URL`, `GITLAB_API_URL`) are
//! contacted; a payload names at most path segments, percent-encoded.
//! Nothing here logs; errors name the call and the answer's status only.

pub mod github;
pub mod gitlab;
pub mod https;
pub mod jwt;

use crate::config::ReportSettings;
use crate::domain::Findings;
use crate::domain::verdict::{GITHUB, GITLAB, GitHubApp, GitLabToken, Target, Verdict, counts};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything but unreserved characters is encoded (`/` too: a GitLab
/// project path is one segment).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `s` as one path or query segment.
pub fn seg(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Why a report was not sent: a short code (`HTTP503`, `RateLimited`,
/// `Unreachable`, `Credentials`) and what failed, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    pub code: String,
    pub message: String,
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The credentials of one provider, read by the caller.
#[derive(Debug, Clone)]
pub enum Credentials {
    GitHub(Arc<GitHubApp>),
    GitLab(Arc<GitLabToken>),
}

/// The scan a report is about.
#[derive(Debug, Clone)]
pub struct Started<'a> {
    pub scan_id: &'a str,
    pub name: &'a str,
    /// When the function started it (ISO 8601).
    pub started_at: String,
    /// The findings in the Inspector console.
    pub details_url: String,
    /// Unix seconds now (the JWT's clock).
    pub now: u64,
}

#[derive(Debug)]
pub struct Reporter {
    github: github::GitHub,
    gitlab: Option<gitlab::GitLab>,
    /// GitLab scans whose `running` status was sent by this environment.
    running: Mutex<HashSet<String>>,
}

impl Reporter {
    /// Builds nothing that connects: the client is made at the first report.
    pub fn new(settings: &ReportSettings, timeout: Duration) -> Self {
        let http = Arc::new(https::Https::new(timeout));
        Self {
            github: github::GitHub::new(&settings.github_api_url, http.clone()),
            gitlab: settings
                .gitlab_api_url
                .as_deref()
                .map(|u| gitlab::GitLab::new(u, http)),
            running: Mutex::default(),
        }
    }

    fn gitlab(&self) -> Result<&gitlab::GitLab, ReportError> {
        self.gitlab.as_ref().ok_or_else(|| ReportError {
            code: "NotConfigured".to_string(),
            message: "GITLAB_API_URL is not set".to_string(),
            retry_after: None,
        })
    }

    /// The scan is running: a check run in progress, or a `running` status.
    /// `Ok(true)` when something was sent, `Ok(false)` when it already was.
    pub async fn started(
        &self,
        c: &Credentials,
        t: &Target,
        s: &Started<'_>,
    ) -> Result<bool, ReportError> {
        match c {
            Credentials::GitHub(app) if t.provider == GITHUB => {
                self.github.started(app, t, s).await
            }
            Credentials::GitLab(token) if t.provider == GITLAB => {
                let seen = self
                    .running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .contains(s.scan_id);
                if seen {
                    return Ok(false);
                }
                let description = "Amazon Inspector code security scan in progress";
                self.gitlab()?
                    .status(token, t, s, "running", description)
                    .await?;
                let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
                if running.len() >= 1000 {
                    running.clear();
                }
                running.insert(s.scan_id.to_string());
                Ok(true)
            }
            _ => Err(mismatch()),
        }
    }

    /// The scan ended: the check run completed, or the final status.
    pub async fn finished(
        &self,
        c: &Credentials,
        t: &Target,
        s: &Started<'_>,
        v: &Verdict,
        completed_at: &str,
    ) -> Result<(), ReportError> {
        match c {
            Credentials::GitHub(app) if t.provider == GITHUB => {
                self.github.finished(app, t, s, v, completed_at).await
            }
            Credentials::GitLab(token) if t.provider == GITLAB => {
                // GitLab's description holds 255 characters: the title.
                let description: String = v.title.chars().take(255).collect();
                let state = v.conclusion.gitlab();
                self.gitlab()?
                    .status(token, t, s, state, &description)
                    .await?;
                self.running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(s.scan_id);
                Ok(())
            }
            _ => Err(mismatch()),
        }
    }
}

fn mismatch() -> ReportError {
    ReportError {
        code: "Internal".to_string(),
        message: "credentials of another provider".to_string(),
        retry_after: None,
    }
}

/// What a dry run shows: the calls a push's report makes.
pub fn planned_calls(t: &Target, settings: &ReportSettings) -> Vec<String> {
    let f = Findings::default();
    match t.provider.as_str() {
        GITHUB => {
            let base = &settings.github_api_url;
            let repo = format!("{base}/repos/{}", t.repository);
            let mut calls = Vec::new();
            match t.installation {
                Some(id) => calls.push(format!("POST {base}/app/installations/{id}/access_tokens (once per installation per 50 min)")),
                None => {
                    calls.push(format!("GET {repo}/installation (once per repository)"));
                    calls.push(format!("POST {base}/app/installations/{{id}}/access_tokens (once per installation per 50 min)"));
                }
            }
            calls.push(format!(
                "GET {repo}/commits/{}/check-runs?check_name=… (is there one for this scan?)",
                t.sha
            ));
            calls.push(format!(
                "POST {repo}/check-runs (status in_progress, external_id the scan id)"
            ));
            calls.push(format!(
                "PATCH {repo}/check-runs/{{id}} (status completed, conclusion by FINDINGS_GATE {})",
                settings.gate.describe()
            ));
            calls
        }
        _ => {
            let base = settings
                .gitlab_api_url
                .as_deref()
                .unwrap_or("GITLAB_API_URL");
            let project = t
                .project
                .map_or_else(|| seg(&t.repository), |p| p.to_string());
            let url = format!("{base}/projects/{project}/statuses/{}", t.sha);
            vec![
                format!("POST {url} (state running)"),
                format!(
                    "POST {url} (state success or failed by FINDINGS_GATE {}; e.g. \"{}\")",
                    settings.gate.describe(),
                    counts(&f)
                ),
            ]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_cannot_leave_its_place_in_the_path() {
        assert_eq!(
            seg("platform/tools/deploy-bot"),
            "platform%2Ftools%2Fdeploy-bot"
        );
        assert_eq!(seg("a?b#c@d:e"), "a%3Fb%23c%40d%3Ae");
        assert_eq!(seg("Amazon Inspector"), "Amazon%20Inspector");
        assert_eq!(seg("payments-api_v2.x~"), "payments-api_v2.x~");
    }
}
