//! Reports on the commit (`REPORT_TO`): GitHub check runs and GitLab
//! commit statuses for the scans pushes start, the findings gate, and the
//! only API hosts the reports go to.

use super::ConfigError;
use super::{Env, bad};
use crate::domain::verdict::Gate;

/// The check's default name.
pub const DEFAULT_CHECK_NAME: &str = "Amazon Inspector code security";
pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSettings {
    /// `REPORT_TO`: `github`, `gitlab`, both comma-separated, or `off`.
    pub github: bool,
    pub gitlab: bool,
    /// `FINDINGS_GATE`: when a finished scan fails the check.
    pub gate: Gate,
    /// `CHECK_NAME`: the check run's and the commit status's name.
    pub check_name: String,
    /// `GITHUB_API_URL`: the only GitHub host contacted (GitHub Enterprise
    /// Server: `https://HOST/api/v3`); no trailing slash.
    pub github_api_url: String,
    /// `GITHUB_APP_SECRET_ARN`: `{"appId", "privateKey"}`.
    pub github_app_secret_arn: Option<String>,
    /// `GITLAB_API_URL`: the only GitLab host contacted
    /// (`https://gitlab.example.com/api/v4`).
    pub gitlab_api_url: Option<String>,
    /// `GITLAB_TOKEN_SECRET_ARN`: `{"token"}`.
    pub gitlab_token_secret_arn: Option<String>,
}

impl ReportSettings {
    /// Does anything get reported?
    pub fn any(&self) -> bool {
        self.github || self.gitlab
    }

    /// Is `provider` (`github`, `gitlab`) reported to?
    pub fn to(&self, provider: &str) -> bool {
        match provider {
            "github" => self.github,
            "gitlab" => self.gitlab,
            _ => false,
        }
    }
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            github: false,
            gitlab: false,
            gate: Gate::default(),
            check_name: DEFAULT_CHECK_NAME.to_string(),
            github_api_url: DEFAULT_GITHUB_API_URL.to_string(),
            github_app_secret_arn: None,
            gitlab_api_url: None,
            gitlab_token_secret_arn: None,
        }
    }
}

/// An API base URL: `https://`, or `http://` to this machine only (tests);
/// no query, fragment or credentials; the trailing slash dropped.
fn api_url(name: &str, v: &str) -> Result<String, ConfigError> {
    let rest = v
        .strip_prefix("https://")
        .or_else(|| {
            v.strip_prefix("http://")
                .filter(|r| r.starts_with("127.0.0.1") || r.starts_with("localhost"))
        })
        .ok_or_else(|| bad(name, v, "an https:// API URL"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || rest.contains(['?', '#', '@', ' ']) {
        return Err(bad(
            name,
            v,
            "an https:// API URL without query or credentials",
        ));
    }
    Ok(v.trim_end_matches('/').to_string())
}

fn secret_arn(name: &str, v: Option<String>) -> Result<Option<String>, ConfigError> {
    match v {
        Some(arn)
            if !(arn.starts_with("arn:") && arn.split(':').nth(2) == Some("secretsmanager")) =>
        {
            Err(bad(name, &arn, "a Secrets Manager secret ARN"))
        }
        v => Ok(v),
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub(super) fn report(&self, dry_run: bool) -> Result<ReportSettings, ConfigError> {
        let d = ReportSettings::default();
        let (mut github, mut gitlab) = (false, false);
        let to = self.get("REPORT_TO").unwrap_or_else(|| "off".to_string());
        if !to.eq_ignore_ascii_case("off") {
            for part in to.split(',').map(|p| p.trim().to_ascii_lowercase()) {
                match part.as_str() {
                    "github" => github = true,
                    "gitlab" => gitlab = true,
                    _ => {
                        return Err(bad(
                            "REPORT_TO",
                            &to,
                            "github, gitlab, both comma-separated, or off",
                        ));
                    }
                }
            }
        }
        let gate = match self.get("FINDINGS_GATE") {
            None => d.gate.clone(),
            Some(g) => Gate::parse(&g).map_err(|why| bad("FINDINGS_GATE", &g, &why))?,
        };
        let check_name = self.get("CHECK_NAME").unwrap_or(d.check_name.clone());
        if check_name.chars().count() > 100 || check_name.chars().any(char::is_control) {
            return Err(bad(
                "CHECK_NAME",
                &check_name,
                "a name of at most 100 characters",
            ));
        }
        let github_api_url = match self.get("GITHUB_API_URL") {
            None => d.github_api_url.clone(),
            Some(u) => api_url("GITHUB_API_URL", &u)?,
        };
        let gitlab_api_url = match self.get("GITLAB_API_URL") {
            None => None,
            Some(u) => Some(api_url("GITLAB_API_URL", &u)?),
        };
        let github_app_secret_arn =
            secret_arn("GITHUB_APP_SECRET_ARN", self.get("GITHUB_APP_SECRET_ARN"))?;
        let gitlab_token_secret_arn = secret_arn(
            "GITLAB_TOKEN_SECRET_ARN",
            self.get("GITLAB_TOKEN_SECRET_ARN"),
        )?;
        // A live function that reports needs its credentials; a dry run
        // only plans.
        if github && !dry_run && github_app_secret_arn.is_none() {
            return Err(ConfigError::conflict(
                "GITHUB_APP_SECRET_ARN",
                "GITHUB_APP_SECRET_ARN is required when REPORT_TO names github",
            ));
        }
        if gitlab && !dry_run && (gitlab_api_url.is_none() || gitlab_token_secret_arn.is_none()) {
            return Err(ConfigError::conflict(
                "GITLAB_API_URL",
                "GITLAB_API_URL and GITLAB_TOKEN_SECRET_ARN are required when REPORT_TO names gitlab",
            ));
        }
        Ok(ReportSettings {
            github,
            gitlab,
            gate,
            check_name,
            github_api_url,
            github_app_secret_arn,
            gitlab_api_url,
            gitlab_token_secret_arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    fn read(vars: &[(&str, &str)]) -> Result<super::ReportSettings, String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .map(|s| s.report)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn off_by_default_and_each_provider_needs_its_credentials() {
        let d = read(&[]).unwrap();
        assert!(!d.any());
        assert_eq!(d.github_api_url, "https://api.github.com");
        assert!(
            read(&[("REPORT_TO", "github")])
                .unwrap_err()
                .contains("GITHUB_APP_SECRET_ARN")
        );
        assert!(
            read(&[("REPORT_TO", "gitlab")])
                .unwrap_err()
                .contains("GITLAB_API_URL")
        );
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:gh-AbCdEf";
        let both = read(&[
            ("REPORT_TO", "github, gitlab"),
            ("GITHUB_APP_SECRET_ARN", arn),
            ("GITLAB_API_URL", "https://gitlab.example.com/api/v4/"),
            ("GITLAB_TOKEN_SECRET_ARN", arn),
            ("FINDINGS_GATE", "critical:1,high:10"),
        ])
        .unwrap();
        assert!(both.github && both.gitlab);
        assert_eq!(
            both.gitlab_api_url.as_deref(),
            Some("https://gitlab.example.com/api/v4")
        );
        assert_eq!(both.gate.describe(), "critical:1,high:10");
        assert!(
            read(&[("REPORT_TO", "github"), ("DRY_RUN", "true")])
                .unwrap()
                .github
        );
    }

    #[test]
    fn api_hosts_are_https_or_this_machine() {
        for bad in [
            "http://api.github.com",
            "ftp://x",
            "https://user:pw@api.github.com",
            "https://api.github.com?x=1",
            "https://",
        ] {
            assert!(read(&[("GITHUB_API_URL", bad)]).is_err(), "{bad}");
        }
        assert!(read(&[("GITHUB_API_URL", "http://127.0.0.1:8080")]).is_ok());
        assert!(read(&[("REPORT_TO", "bitbucket")]).is_err());
        assert!(read(&[("FINDINGS_GATE", "low:1")]).is_err());
        assert!(read(&[("GITHUB_APP_SECRET_ARN", "not-an-arn")]).is_err());
    }
}
