//! Webhook settings: where the secrets come from and how long they are kept.

use super::ConfigError;
use super::Env;
use crate::domain::WebhookSecrets;
use std::time::Duration;

/// A webhook is answered within this time of its arrival: GitHub waits 10
/// seconds for an answer (GitLab's default is the same), less what API
/// Gateway and the network take. No AWS call starts later than one
/// operation timeout before it, so a call that starts also ends in time.
pub const WEBHOOK_ANSWER_WITHIN: Duration = Duration::from_millis(9_500);

/// The longest operation timeout that leaves a webhook time to start its
/// calls (1.5 s after arrival) within [`WEBHOOK_ANSWER_WITHIN`]; the SDK's
/// operation timeout is this (`config::OPERATION_TIMEOUT`).
pub const WEBHOOK_MAX_OPERATION_TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `WEBHOOK_SECRET_ARN`: the Secrets Manager secret whose SecretString is
    /// `{"github": "...", "gitlab": "..."}`; unset: no webhook routes.
    pub secret_arn: Option<String>,
    /// How long the fetched values are kept (300 s, fixed: a rotation's
    /// new value is taken within 5 minutes, one read per 5 minutes per
    /// environment; tests set 0, fetched for every delivery).
    pub secret_ttl: Duration,
    /// `DRY_RUN_WEBHOOK_SECRETS`: the values themselves, same JSON; read only
    /// in a dry run (which calls no AWS), refused otherwise.
    pub dry_run_secrets: Option<WebhookSecrets>,
    /// A failed fetch is remembered this long (5 s, fixed: long enough
    /// that a burst of deliveries makes one call, short enough that a fixed
    /// secret is seen at once); deliveries meanwhile call nothing.
    pub secret_failure_cache: Duration,
    /// While Secrets Manager fails, the last values fetched are used until
    /// their TTL plus this (900 s, fixed: rides out a regional blip, never
    /// longer than a rotation's overlap).
    pub secret_grace: Duration,
    /// Webhook deliveries handled at once by one instance of the function;
    /// more are answered 503 at once (4, fixed: more than one environment
    /// serves at once except under Managed Instances; tests set it).
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
            dry_run_secrets,
            previous_secret_window: Duration::from_secs(
                self.number("WEBHOOK_PREVIOUS_SECRET_HOURS", 0..=720)? as u64 * 3600,
            ),
            ..d
        })
    }
}
