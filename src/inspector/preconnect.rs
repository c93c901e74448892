//! `PRECONNECT`: open the connection to the Inspector endpoints during init.
//!
//! Lambda runs init with the full CPU of the host, while a 128 MB function
//! gets a small share of a core once invocations start; DNS, TCP and the TLS
//! handshake done at init are then not paid by the first invocation.
//!
//! The request is an ordinary SDK call, so it goes through the same client,
//! connection pool, endpoint, DNS and TLS set-up as the real calls (and warms
//! their lazily built parts: credentials, endpoint resolution, signing). Its
//! authentication headers are removed just before it is sent: the service
//! refuses it unread (403) and it cannot act on anything, whatever the
//! function's permissions. The answer is read to the end, so the kept-alive
//! connection goes back to the pool for the first invocation.
//!
//! One attempt, bounded by 500 ms (`PreconnectSettings::timeout`); a failure is logged and
//! otherwise ignored (the first invocation simply connects as usual).

use super::client::Clients;
pub use crate::domain::Service;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use std::time::{Duration, Instant};

/// What opening one endpoint came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub service: Service,
    pub elapsed: Duration,
    /// `None` when the endpoint answered (any status: the connection is open).
    pub error: Option<String>,
}

/// Strips the signature so the request can only be refused.
#[derive(Debug, Clone, Copy)]
pub struct Unsigned;

/// Headers that carry or bind authentication; none is sent.
pub const STRIPPED_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-security-token",
    "x-amz-date",
    "x-amz-content-sha256",
];

impl Intercept for Unsigned {
    fn name(&self) -> &'static str {
        "preconnect: unsigned request"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        for name in STRIPPED_HEADERS {
            headers.remove(name);
        }
        Ok(())
    }
}

/// One attempt within `budget`. The connect (and read) timeouts are left as
/// the client has them: the SDK keeps one connection pool per pair of them,
/// and the point is to open a connection in the pool the real calls use.
fn one_attempt(budget: Duration) -> (RetryConfig, TimeoutConfig) {
    (
        RetryConfig::disabled(),
        TimeoutConfig::builder()
            .operation_attempt_timeout(budget)
            .operation_timeout(budget)
            .build(),
    )
}

/// Any answer from the endpoint means the connection is open; only a
/// failure to reach it (or to read its answer in time) is an error.
fn reached<O, E: std::error::Error + 'static, R: std::fmt::Debug>(
    result: Result<O, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
) -> Option<String> {
    use aws_smithy_runtime_api::client::result::SdkError;
    match result {
        Ok(_) | Err(SdkError::ServiceError(_)) => None,
        Err(e) => Some(DisplayErrorContext(&e).to_string()),
    }
}

/// Opens a connection to each of `services`, concurrently, each within `budget`.
pub async fn preconnect(clients: &Clients, services: &[Service], budget: Duration) -> Vec<Opened> {
    let (retry, timeout) = one_attempt(budget);
    let open = |service: Service| {
        let (retry, timeout) = (retry.clone(), timeout.clone());
        async move {
            let started = Instant::now();
            let error = match service {
                Service::Inspector2 => reached(
                    clients
                        .v2
                        .list_coverage()
                        .max_results(1)
                        .customize()
                        .interceptor(Unsigned)
                        .config_override(
                            aws_sdk_inspector2::config::Builder::default()
                                .retry_config(retry)
                                .timeout_config(timeout),
                        )
                        .send()
                        .await,
                ),
                Service::Inspector => reached(
                    clients
                        .classic
                        .list_assessment_templates()
                        .max_results(1)
                        .customize()
                        .interceptor(Unsigned)
                        .config_override(
                            aws_sdk_inspector::config::Builder::default()
                                .retry_config(retry)
                                .timeout_config(timeout),
                        )
                        .send()
                        .await,
                ),
            };
            Opened {
                service,
                elapsed: started.elapsed(),
                error,
            }
        }
    };
    futures::future::join_all(services.iter().map(|s| open(*s))).await
}
