//! The SDK clients, built once per cold start, and their policy chosen on
//! purpose: bounded attempts with backoff, timeouts that leave the function
//! time to answer, and the standard `Retry-After` header honoured on
//! throttling and 5xx answers.

use super::pace::Pacer;
use crate::config::{BatchSettings, SdkSettings};
use crate::domain::{Deadline, Error, Operation};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use aws_smithy_types::retry::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

/// Retry and timeout settings for every client.
pub fn resilience(loader: aws_config::ConfigLoader, s: &SdkSettings) -> aws_config::ConfigLoader {
    loader
        .retry_config(retry_config(s))
        .timeout_config(timeout_config(s))
}

pub fn retry_config(s: &SdkSettings) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(s.max_attempts)
        .with_initial_backoff(s.initial_backoff)
        .with_max_backoff(s.max_backoff)
}

pub fn timeout_config(s: &SdkSettings) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(s.connect_timeout)
        .operation_attempt_timeout(s.attempt_timeout)
        .operation_timeout(s.operation_timeout)
        .build()
}

/// Adds the server's `Retry-After` (seconds, as API Gateway-style services
/// and proxies send it) to a retry the SDK's own classifiers already decided
/// on. It never makes a non-retryable answer retryable. A wait longer than
/// `max_wait` (what the call's budget can afford: the retry config's maximum
/// backoff, and the operation timeout less one attempt) ends the retries at
/// once, so the caller gets the throttling answer and its `Retry-After`
/// instead of a timeout after sleeping out its budget.
#[derive(Debug, Clone, Copy)]
pub struct RetryAfterHeader {
    pub max_wait: Duration,
}

impl RetryAfterHeader {
    pub fn for_settings(s: &SdkSettings) -> Self {
        Self {
            max_wait: s
                .max_backoff
                .min(s.operation_timeout.saturating_sub(s.attempt_timeout)),
        }
    }
}

impl RetryAfterHeader {
    fn header(ctx: &InterceptorContext) -> Option<Duration> {
        let value = ctx.response()?.headers().get("retry-after")?;
        value.trim().parse::<u64>().ok().map(Duration::from_secs)
    }
}

impl ClassifyRetry for RetryAfterHeader {
    fn classify_retry(&self, _ctx: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, ctx: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        match (previous, Self::header(ctx)) {
            // Throttling is sent again by the pacer, which slows down first.
            (
                RetryAction::RetryIndicated(RetryReason::RetryableError {
                    kind: ErrorKind::ThrottlingError,
                    ..
                }),
                _,
            ) => RetryAction::RetryForbidden,
            (RetryAction::RetryIndicated(_), Some(after)) if after > self.max_wait => {
                RetryAction::RetryForbidden
            }
            (
                RetryAction::RetryIndicated(RetryReason::RetryableError {
                    kind,
                    retry_after: None,
                }),
                Some(after),
            ) => RetryAction::retryable_error_with_explicit_delay(*kind, after),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "Retry-After header"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// The two Inspector clients, and the one pacer every call of theirs
/// passes (see [`super::pace`]).
#[derive(Debug, Clone)]
pub struct Clients {
    pub(super) v2: aws_sdk_inspector2::Client,
    pub(super) classic: aws_sdk_inspector::Client,
    pub pacer: Arc<Pacer>,
    /// Sends of a throttled call, the first included.
    attempts: u32,
    /// The longest `Retry-After` worth waiting for.
    max_wait: Duration,
}

impl Clients {
    pub(super) fn new(
        sdk: &aws_config::SdkConfig,
        settings: &SdkSettings,
        batch: &BatchSettings,
    ) -> Self {
        let retry_after = RetryAfterHeader::for_settings(settings);
        let v2 = aws_sdk_inspector2::config::Builder::from(sdk)
            .retry_classifier(retry_after)
            .build();
        let classic = aws_sdk_inspector::config::Builder::from(sdk)
            .retry_classifier(retry_after)
            .build();
        Self {
            v2: aws_sdk_inspector2::Client::from_conf(v2),
            classic: aws_sdk_inspector::Client::from_conf(classic),
            pacer: Arc::new(Pacer::new(
                batch.concurrency,
                batch.max_calls_per_second.map(f64::from),
                batch.pacing,
            )),
            attempts: settings.max_attempts,
            max_wait: retry_after.max_wait,
        }
    }

    /// One Inspector call through the pacer (timed into the latency
    /// metric; throttled answers sent again through the pacer).
    pub async fn paced<T, F, Fut>(
        &self,
        op: Operation,
        deadline: Deadline,
        call: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        self.pacer
            .run(op, deadline, self.attempts, self.max_wait, call)
            .await
    }
}
