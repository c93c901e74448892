//! `GetSecretValue` on the webhook secret, through the SDK client (built at
//! the first fetch), for the `AWSCURRENT` and `AWSPREVIOUS` version stages.

use crate::config::SdkSettings;
use crate::domain::{AwsErrorKind, Error, WebhookSecrets};
use aws_config::timeout::TimeoutConfig;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::SdkError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The IAM action the fetch needs, as the template grants it.
pub const GET_SECRET_VALUE: &str = "secretsmanager:GetSecretValue";

pub const CURRENT: &str = "AWSCURRENT";
pub const PREVIOUS: &str = "AWSPREVIOUS";

/// A fetch waits at most this long per attempt, and this long in all: it
/// comes before the scan's own calls, within a webhook's 10 seconds.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct SecretsManager {
    sdk: aws_config::SdkConfig,
    secret_id: String,
    timeouts: TimeoutConfig,
    client: OnceLock<Client>,
    /// `WEBHOOK_PREVIOUS_SECRET_HOURS`: how long after the current version
    /// was created the previous one is still accepted.
    previous_window: Duration,
}

/// What a fetch found: the current values, and the previous ones with the
/// time until which they are accepted (the current version's `CreatedDate`
/// plus the window); past it, or when that date is unknown, only the current.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub current: WebhookSecrets,
    pub previous: WebhookSecrets,
    pub previous_until: Option<SystemTime>,
}

impl Fetched {
    /// The values accepted at `now`: the current ones, then the previous
    /// ones while their time lasts.
    pub fn accepted_at(&self, now: SystemTime) -> WebhookSecrets {
        match self.previous_until {
            Some(until) if now < until => self.current.clone().then(self.previous.clone()),
            _ => self.current.clone(),
        }
    }
}

/// One version: its SecretString and when it was created.
struct Version {
    text: Option<String>,
    created: Option<SystemTime>,
}

impl SecretsManager {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        secret_id: &str,
        settings: &SdkSettings,
        previous_window: Duration,
    ) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.connect_timeout)
            .operation_attempt_timeout(settings.attempt_timeout.min(ATTEMPT_TIMEOUT))
            .operation_timeout(settings.operation_timeout.min(OPERATION_TIMEOUT))
            .build();
        Self {
            sdk: sdk.clone(),
            secret_id: secret_id.to_string(),
            timeouts,
            client: OnceLock::new(),
            previous_window,
        }
    }

    fn client(&self) -> &Client {
        self.client.get_or_init(|| {
            let conf = aws_sdk_secretsmanager::config::Builder::from(&self.sdk)
                .timeout_config(self.timeouts.clone())
                .build();
            Client::from_conf(conf)
        })
    }

    /// Both versions, fetched together: the current one must be there and
    /// well-formed; the previous one is there only after a rotation, and one
    /// that cannot be parsed is left out with a warning (the current still
    /// works). A failure to reach the service fails the fetch. The previous
    /// values are accepted only until the current version's `CreatedDate`
    /// plus `WEBHOOK_PREVIOUS_SECRET_HOURS`: a rotation revokes the old
    /// secret then, not at the next rotation.
    pub async fn fetch(&self) -> Result<Fetched, Error> {
        let (current, previous) = futures::join!(self.version(CURRENT), self.version(PREVIOUS));
        let current = current?;
        let created = current.created;
        let current = current
            .text
            .ok_or_else(|| unusable(CURRENT, "has no SecretString"))?;
        let current = WebhookSecrets::parse(&current).map_err(|why| unusable(CURRENT, &why))?;
        let previous = match previous?.text {
            None => WebhookSecrets::default(),
            Some(text) => WebhookSecrets::parse(&text).unwrap_or_else(|why| {
                tracing::warn!(
                    version_stage = PREVIOUS,
                    "webhook secret version {why}; only the current version is used"
                );
                WebhookSecrets::default()
            }),
        };
        let previous_until = created.and_then(|c| c.checked_add(self.previous_window));
        if previous_until.is_none() && previous != WebhookSecrets::default() {
            tracing::warn!(
                version_stage = CURRENT,
                "webhook secret version has no CreatedDate; the previous version is not accepted"
            );
        }
        Ok(Fetched {
            current,
            previous,
            previous_until,
        })
    }

    /// The current version's SecretString, for secrets other than the
    /// webhook's (`what` names it in an error; the value never).
    pub async fn current(&self, what: &str) -> Result<String, Error> {
        let answer = self
            .client()
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(CURRENT)
            .send()
            .await;
        match answer {
            Ok(out) => out
                .secret_string()
                .map(str::to_string)
                .ok_or_else(|| Error::Internal {
                    message: format!("the {what} secret's {CURRENT} version has no SecretString"),
                }),
            Err(e) => {
                let e = crate::sdk::aws_error(GET_SECRET_VALUE, &e, |_, _| {
                    AwsErrorKind::ServiceFailure
                });
                Err(Error::Internal {
                    message: format!(
                        "{GET_SECRET_VALUE} on the {what} secret failed: {}: {}",
                        e.code, e.message
                    ),
                })
            }
        }
    }

    /// One version stage's SecretString and creation time; no text for a
    /// previous version that does not exist (a secret never rotated).
    async fn version(&self, stage: &'static str) -> Result<Version, Error> {
        let answer = self
            .client()
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(stage)
            .send()
            .await;
        match answer {
            Ok(out) => Ok(Version {
                text: out.secret_string().map(str::to_string),
                created: out.created_date().and_then(|d| {
                    let secs = u64::try_from(d.secs()).ok()?;
                    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
                }),
            }),
            Err(SdkError::ServiceError(e))
                if stage == PREVIOUS && e.err().is_resource_not_found_exception() =>
            {
                Ok(Version {
                    text: None,
                    created: None,
                })
            }
            Err(e) => Err(failed(stage, &e)),
        }
    }
}

fn unusable(stage: &str, why: &str) -> Error {
    Error::Internal {
        message: format!("the webhook secret's {stage} version {why}"),
    }
}

/// The service's error code and message (which never carry the value), or
/// the kind of failure when no answer came.
fn failed(stage: &str, e: &SdkError<GetSecretValueError, HttpResponse>) -> Error {
    let e = crate::sdk::aws_error(GET_SECRET_VALUE, e, |_, _| AwsErrorKind::ServiceFailure);
    Error::Internal {
        message: format!(
            "{GET_SECRET_VALUE} ({stage}) on the webhook secret failed: {}: {}",
            e.code, e.message
        ),
    }
}
