//! SDK client configuration chosen on purpose: bounded attempts with
//! backoff, timeouts that leave the function time to answer, and the
//! standard `Retry-After` header honoured on throttling and 5xx answers.

use crate::config::Settings;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use std::time::Duration;

/// Retry and timeout settings for every client.
pub fn resilience(loader: aws_config::ConfigLoader, s: &Settings) -> aws_config::ConfigLoader {
    loader
        .retry_config(retry_config(s))
        .timeout_config(timeout_config(s))
}

pub fn retry_config(s: &Settings) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(s.max_attempts)
        .with_initial_backoff(s.initial_backoff)
        .with_max_backoff(s.max_backoff)
}

pub fn timeout_config(s: &Settings) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(s.connect_timeout)
        .operation_attempt_timeout(s.attempt_timeout)
        .operation_timeout(s.operation_timeout)
        .build()
}

/// Adds the server's `Retry-After` (seconds, as API Gateway-style services
/// and proxies send it) to a retry the SDK's own classifiers already decided
/// on. It never makes a non-retryable answer retryable; the delay is capped by
/// the retry config's maximum backoff.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryAfterHeader;

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
