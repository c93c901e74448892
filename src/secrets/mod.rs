//! The webhook secrets: from AWS Secrets Manager, fetched at the first
//! webhook (never at init, so other triggers pay nothing for them) and kept
//! for `WebhookSettings::secret_ttl` (300 s); or, in a dry run, from
//! `DRY_RUN_WEBHOOK_SECRETS`. Imports neither ingress nor inspector.
//!
//! A failed fetch is remembered for `secret_failure_cache` (5 s)
//! (deliveries meanwhile call nothing), and while Secrets Manager fails the
//! last values fetched are used until their TTL plus `secret_grace` (900 s).
//!
//! A value never reaches a log, a metric or an error: errors name the
//! secret's version stage and the service's error code only.

pub mod manager;
pub mod report_keys;
pub use report_keys::ReportSecrets;

use crate::config::{SdkSettings, WebhookSettings};
use crate::domain::{Error, WebhookSecrets};
use futures::lock::Mutex;
use manager::{Fetched, SecretsManager};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Where the webhook secrets come from.
#[derive(Debug)]
enum Source {
    /// No webhook routes: `WEBHOOK_SECRET_ARN` unset (or a dry run without
    /// `DRY_RUN_WEBHOOK_SECRETS`, which cannot call Secrets Manager).
    None,
    /// A dry run's own values.
    Given(Arc<WebhookSecrets>),
    SecretsManager(Box<SecretsManager>),
}

/// The secrets, and the copy kept between invocations. Shared by clones.
#[derive(Debug, Clone)]
pub struct WebhookSecretStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: Source,
    ttl: Duration,
    failure_cache: Duration,
    grace: Duration,
    /// The kept copy, and the last failure. Held across a fetch, so that
    /// deliveries arriving together fetch once.
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// When the copy was fetched, and the copy.
    good: Option<(Instant, Arc<Fetched>)>,
    /// When the last fetch failed, and how.
    failed: Option<(Instant, Error)>,
}

impl WebhookSecretStore {
    /// Live from Secrets Manager when `sdk` is given (not a dry run) and
    /// `WEBHOOK_SECRET_ARN` is set; builds nothing and calls nothing yet.
    pub fn new(
        sdk: Option<&aws_config::SdkConfig>,
        settings: &WebhookSettings,
        sdk_settings: &SdkSettings,
    ) -> Self {
        let source = match (sdk, &settings.secret_arn, &settings.dry_run_secrets) {
            (Some(sdk), Some(arn), _) => Source::SecretsManager(Box::new(SecretsManager::new(
                sdk,
                arn,
                sdk_settings,
                settings.previous_secret_window,
            ))),
            (None, _, Some(given)) => Source::Given(Arc::new(given.clone())),
            _ => Source::None,
        };
        Self {
            inner: Arc::new(Inner {
                source,
                ttl: settings.secret_ttl,
                failure_cache: settings.secret_failure_cache,
                grace: settings.secret_grace,
                kept: Mutex::new(Kept::default()),
            }),
        }
    }

    /// Does the function receive webhooks at all?
    pub fn enabled(&self) -> bool {
        !matches!(self.inner.source, Source::None)
    }

    /// The secrets: the kept copy while it is younger than the TTL, else
    /// fetched (current and previous versions). A failed fetch is
    /// remembered for the failure time (no call meanwhile); while fetches
    /// fail, the kept copy serves until TTL + grace. The previous values are
    /// in the answer only until their time (`WEBHOOK_PREVIOUS_SECRET_HOURS`
    /// after the current version was created), whichever copy serves.
    pub async fn get(&self) -> Result<Arc<WebhookSecrets>, Error> {
        let fetched = self.fetched().await?;
        match fetched {
            Ok(given) => Ok(given),
            Err(fetched) => Ok(Arc::new(fetched.accepted_at(SystemTime::now()))),
        }
    }

    /// The given values (`Ok`), or what Secrets Manager answered (`Err`).
    async fn fetched(&self) -> Result<Result<Arc<WebhookSecrets>, Arc<Fetched>>, Error> {
        let manager = match &self.inner.source {
            Source::None => return Ok(Ok(Arc::new(WebhookSecrets::default()))),
            Source::Given(given) => return Ok(Ok(given.clone())),
            Source::SecretsManager(manager) => manager,
        };
        let inner = &self.inner;
        let mut kept = inner.kept.lock().await;
        let good = kept.good.clone();
        let fresh = |age: Duration| age < inner.ttl;
        let stale_ok = |age: Duration| age < inner.ttl.saturating_add(inner.grace);
        if let Some((at, secrets)) = &good
            && fresh(at.elapsed())
        {
            return Ok(Err(secrets.clone()));
        }
        let last_good = good.filter(|(at, _)| stale_ok(at.elapsed()));
        if let Some((at, e)) = &kept.failed
            && at.elapsed() < inner.failure_cache
        {
            return match last_good {
                Some((_, secrets)) => Ok(Err(secrets)),
                None => Err(e.clone()),
            };
        }
        match manager.fetch().await {
            Ok(fetched) => {
                let fetched = Arc::new(fetched);
                *kept = Kept {
                    good: Some((Instant::now(), fetched.clone())),
                    failed: None,
                };
                Ok(Err(fetched))
            }
            Err(e) => {
                kept.failed = Some((Instant::now(), e.clone()));
                match last_good {
                    Some((at, secrets)) => {
                        tracing::warn!(
                            error_code = e.code(),
                            error = %e,
                            age_seconds = at.elapsed().as_secs(),
                            "webhook secret fetch failed; using the values fetched before"
                        );
                        Ok(Err(secrets))
                    }
                    None => Err(e),
                }
            }
        }
    }
}
