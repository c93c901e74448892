//! Webhook settings: where the secrets come from and how long they are kept.

use super::ConfigError;
use super::{Env, Settings};
use crate::domain::WebhookSecrets;
use std::time::Duration;

/// A webhook is answered within this time of its arrival: GitHub waits 10
/// seconds for an answer (GitLab's default is the same), less what API
/// Gateway and the network take. No AWS call starts later than one
/// `OPERATION_TIMEOUT_MS` before it, so a call that starts also ends in time.
pub const WEBHOOK_ANSWER_WITHIN: Duration = Duration::from_millis(9_500);

/// The longest `OPERATION_TIMEOUT_MS` that leaves a webhook time to start
/// its calls (1.5 s after arrival) within [`WEBHOOK_ANSWER_WITHIN`].
pub const WEBHOOK_MAX_OPERATION_TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `WEBHOOK_SECRET_ARN`: the Secrets Manager secret whose SecretString is
    /// `{"github": "...", "gitlab": "..."}`; unset: no webhook routes.
    pub secret_arn: Option<String>,
    /// `WEBHOOK_SECRET_TTL_SECONDS`: how long the fetched values are kept (0: fetched for every delivery).
    pub secret_ttl: Duration,
    /// `DRY_RUN_WEBHOOK_SECRETS`: the values themselves, same JSON; read only
    /// in a dry run (which calls no AWS), refused otherwise.
    pub dry_run_secrets: Option<WebhookSecrets>,
    /// `WEBHOOK_SECRET_FAILURE_SECONDS`: a failed fetch is remembered this
    /// long; deliveries meanwhile call nothing (0: not remembered).
    pub secret_failure_cache: Duration,
    /// `WEBHOOK_SECRET_GRACE_SECONDS`: while Secrets Manager fails, the last
    /// values fetched are used until their TTL plus this.
    pub secret_grace: Duration,
    /// `WEBHOOK_CONCURRENCY`: webhook deliveries handled at once by one
    /// instance of the function; more are answered 503 at once.
    pub concurrency: usize,
    /// `WEBHOOK_PREVIOUS_SECRET_HOURS`: after a rotation, the previous
    /// version (`AWSPREVIOUS`) is accepted this long after the current one
    /// was created, then no more.
    pub previous_secret_window: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            secret_arn: None,
            secret_ttl: Duration::from_secs(300),
            dry_run_secrets: None,
            secret_failure_cache: Duration::from_secs(5),
            secret_grace: Duration::from_secs(900),
            concurrency: 4,
            previous_secret_window: Duration::from_secs(24 * 3600),
        }
    }
}

fn invalid(name: &str, why: &str) -> ConfigError {
    ConfigError::because(name, why)
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub(super) fn webhooks(&self, dry_run: bool) -> Result<WebhookSettings, ConfigError> {
        let d = WebhookSettings::default();
        let secret_arn = self.get("WEBHOOK_SECRET_ARN");
        if let Some(arn) = &secret_arn {
            let parts: Vec<&str> = arn.splitn(7, ':').collect();
            let ok = arn.len() <= 2048
                && parts.len() == 7
                && parts[0] == "arn"
                && parts[2] == "secretsmanager"
                && parts[5] == "secret"
                && !parts[6].is_empty();
            if !ok {
                return Err(invalid(
                    "WEBHOOK_SECRET_ARN",
                    &format!(
                        "{:?} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
                        crate::domain::error::bounded(arn, crate::domain::error::MAX_SHOWN)
                    ),
                ));
            }
        }
        // The value is a secret: its errors name the variable, never quote it.
        let dry_run_secrets = match self.get("DRY_RUN_WEBHOOK_SECRETS") {
            None => None,
            Some(_) if !dry_run => {
                return Err(invalid(
                    "DRY_RUN_WEBHOOK_SECRETS",
                    "it is read only with DRY_RUN=true; live webhook secrets come from WEBHOOK_SECRET_ARN",
                ));
            }
            Some(text) => Some(
                WebhookSecrets::parse(&text)
                    .map_err(|why| invalid("DRY_RUN_WEBHOOK_SECRETS", &why))?,
            ),
        };
        Ok(WebhookSettings {
            secret_arn,
            secret_ttl: self.seconds("WEBHOOK_SECRET_TTL_SECONDS", d.secret_ttl, 86_400)?,
            dry_run_secrets,
            secret_failure_cache: self.seconds(
                "WEBHOOK_SECRET_FAILURE_SECONDS",
                d.secret_failure_cache,
                300,
            )?,
            secret_grace: self.seconds("WEBHOOK_SECRET_GRACE_SECONDS", d.secret_grace, 86_400)?,
            concurrency: self.number("WEBHOOK_CONCURRENCY", d.concurrency, 1..=1000)?,
            previous_secret_window: Duration::from_secs(
                self.number(
                    "WEBHOOK_PREVIOUS_SECRET_HOURS",
                    (d.previous_secret_window.as_secs() / 3600) as usize,
                    0..=720,
                )? as u64
                    * 3600,
            ),
        })
    }
}

/// Webhooks must be answered within [`WEBHOOK_ANSWER_WITHIN`]: a longer
/// operation timeout would leave them no time to start a call.
pub(super) fn check(settings: &Settings) -> Result<(), ConfigError> {
    if settings.webhooks.secret_arn.is_some()
        && settings.sdk.operation_timeout > WEBHOOK_MAX_OPERATION_TIMEOUT
    {
        return Err(ConfigError::conflict(
            "OPERATION_TIMEOUT_MS",
            &format!(
                "OPERATION_TIMEOUT_MS and WEBHOOK_SECRET_ARN: with webhooks on, \
                 OPERATION_TIMEOUT_MS may be at most {} (a webhook is answered within GitHub's 10 seconds)",
                WEBHOOK_MAX_OPERATION_TIMEOUT.as_millis()
            ),
        ));
    }
    Ok(())
}
