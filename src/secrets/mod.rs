//! The webhook secrets: from AWS Secrets Manager, fetched at the first
//! webhook (never at init, so other triggers pay nothing for them) and kept
//! for `WEBHOOK_SECRET_TTL_SECONDS`; or, in a dry run, from
//! `DRY_RUN_WEBHOOK_SECRETS`. Imports neither ingress nor inspector.
//!
//! A value never reaches a log, a metric or an error: errors name the
//! secret's version stage and the service's error code only.

pub mod manager;

use crate::config::{SdkSettings, WebhookSettings};
use crate::domain::{Error, WebhookSecrets};
use futures::lock::Mutex;
use manager::SecretsManager;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// When the kept copy was fetched, and the copy. Held across a fetch, so
    /// that deliveries arriving together fetch once.
    kept: Mutex<Option<(Instant, Arc<WebhookSecrets>)>>,
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
            (Some(sdk), Some(arn), _) => {
                Source::SecretsManager(Box::new(SecretsManager::new(sdk, arn, sdk_settings)))
            }
            (None, _, Some(given)) => Source::Given(Arc::new(given.clone())),
            _ => Source::None,
        };
        Self {
            inner: Arc::new(Inner {
                source,
                ttl: settings.secret_ttl,
                kept: Mutex::new(None),
            }),
        }
    }

    /// Does the function receive webhooks at all?
    pub fn enabled(&self) -> bool {
        !matches!(self.inner.source, Source::None)
    }

    /// The secrets: the kept copy while it is younger than the TTL, else
    /// fetched (current and previous versions). A failed fetch keeps
    /// nothing, so the next delivery tries again.
    pub async fn get(&self) -> Result<Arc<WebhookSecrets>, Error> {
        let manager = match &self.inner.source {
            Source::None => return Ok(Arc::new(WebhookSecrets::default())),
            Source::Given(given) => return Ok(given.clone()),
            Source::SecretsManager(manager) => manager,
        };
        let mut kept = self.inner.kept.lock().await;
        if let Some((at, secrets)) = kept.as_ref()
            && at.elapsed() < self.inner.ttl
        {
            return Ok(secrets.clone());
        }
        let fetched = Arc::new(manager.fetch().await?);
        *kept = Some((Instant::now(), fetched.clone()));
        Ok(fetched)
    }
}
