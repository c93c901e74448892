//! The report credentials: the GitHub App's id and private key
//! (`GITHUB_APP_SECRET_ARN`) and the GitLab token (`GITLAB_TOKEN_SECRET_ARN`),
//! read from Secrets Manager when a report first needs them (never at
//! init), kept as long as the webhook secret (300 s), a failed read remembered
//! as long (5 s) (reports meanwhile call nothing and
//! are tried again at the watch's next look). A value never reaches a log,
//! a metric or an error.

use super::manager::SecretsManager;
use crate::config::{ReportSettings, SdkSettings, WebhookSettings};
use crate::domain::Error;
use crate::domain::verdict::{GitHubApp, GitLabToken};
use futures::lock::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The copy kept (when it was read) and the last failure (when, and how).
type Kept<T> = (Option<(Instant, Arc<T>)>, Option<(Instant, Error)>);

/// One secret, parsed by `parse`, and the copy kept.
#[derive(Debug)]
struct Cached<T> {
    manager: SecretsManager,
    what: &'static str,
    parse: fn(&str) -> Result<T, String>,
    ttl: Duration,
    failure_cache: Duration,
    kept: Mutex<Kept<T>>,
}

impl<T> Cached<T> {
    async fn get(&self) -> Result<Arc<T>, Error> {
        let mut kept = self.kept.lock().await;
        if let Some((at, v)) = &kept.0
            && at.elapsed() < self.ttl
        {
            return Ok(v.clone());
        }
        if let Some((at, e)) = &kept.1
            && at.elapsed() < self.failure_cache
        {
            return Err(e.clone());
        }
        let read = self.manager.current(self.what).await.and_then(|text| {
            (self.parse)(&text).map_err(|why| Error::Internal {
                message: format!("the {} secret {why}", self.what),
            })
        });
        match read {
            Ok(v) => {
                let v = Arc::new(v);
                *kept = (Some((Instant::now(), v.clone())), None);
                Ok(v)
            }
            Err(e) => {
                kept.1 = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }
}

/// Both secrets (each only when configured). Shared by clones.
#[derive(Debug, Clone, Default)]
pub struct ReportSecrets {
    github: Option<Arc<Cached<GitHubApp>>>,
    gitlab: Option<Arc<Cached<GitLabToken>>>,
}

fn not_configured(what: &str) -> Error {
    Error::Internal {
        message: format!("no {what} secret is configured"),
    }
}

impl ReportSecrets {
    /// Builds nothing and calls nothing yet; `sdk` is none in a dry run.
    pub fn new(
        sdk: Option<&aws_config::SdkConfig>,
        report: &ReportSettings,
        webhooks: &WebhookSettings,
        sdk_settings: &SdkSettings,
    ) -> Self {
        let Some(sdk) = sdk else {
            return Self::default();
        };
        let ttl = webhooks.secret_ttl;
        let failure_cache = webhooks.secret_failure_cache;
        let github = report
            .github_app_secret_arn
            .as_deref()
            .filter(|_| report.github)
            .map(|arn| {
                Arc::new(Cached {
                    // Only the current version is read: no rotation window.
                    manager: SecretsManager::new(sdk, arn, sdk_settings, Duration::ZERO),
                    what: "GitHub App",
                    parse: GitHubApp::parse,
                    ttl,
                    failure_cache,
                    kept: Mutex::new((None, None)),
                })
            });
        let gitlab = report
            .gitlab_token_secret_arn
            .as_deref()
            .filter(|_| report.gitlab)
            .map(|arn| {
                Arc::new(Cached {
                    // Only the current version is read: no rotation window.
                    manager: SecretsManager::new(sdk, arn, sdk_settings, Duration::ZERO),
                    what: "GitLab token",
                    parse: GitLabToken::parse,
                    ttl,
                    failure_cache,
                    kept: Mutex::new((None, None)),
                })
            });
        Self { github, gitlab }
    }

    pub async fn github(&self) -> Result<Arc<GitHubApp>, Error> {
        match &self.github {
            Some(c) => c.get().await,
            None => Err(not_configured("GitHub App")),
        }
    }

    pub async fn gitlab(&self) -> Result<Arc<GitLabToken>, Error> {
        match &self.gitlab {
            Some(c) => c.get().await,
            None => Err(not_configured("GitLab token")),
        }
    }
}
