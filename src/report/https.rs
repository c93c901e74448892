//! The one HTTP client of the reports: hyper over rustls (aws-lc-rs), the
//! stack the SDK already carries, built at the first report (never at
//! init: the system's root certificates are read then). Every request has
//! one deadline for connecting, sending and reading the answer. Nothing
//! here logs; an error says what failed, never a header or a body.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::OnceLock;
use std::time::Duration;

/// Answers larger than this are not read to the end.
const MAX_ANSWER: usize = 1024 * 1024;

type Inner = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

#[derive(Debug)]
pub struct Https {
    client: OnceLock<Result<Inner, String>>,
    timeout: Duration,
}

/// An answer: its status, `Retry-After` (seconds) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

fn build(timeout: Duration) -> Result<Inner, String> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(timeout));
    let https = HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| format!("no TLS roots: {e}"))?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(https))
}

impl Https {
    /// Builds nothing yet.
    pub fn new(timeout: Duration) -> Self {
        Self {
            client: OnceLock::new(),
            timeout,
        }
    }

    /// Sends one request; `Err` when no answer came in time (what failed,
    /// never a value).
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, String> {
        let client = self
            .client
            .get_or_init(|| build(self.timeout))
            .as_ref()
            .map_err(Clone::clone)?;
        let mut req = Request::builder()
            .method(method)
            .uri(url)
            .header("user-agent", "inspector-scan-router")
            .header("accept", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Bytes::from(b.to_string())
            }
            None => Bytes::new(),
        };
        let req = req
            .body(Full::new(body))
            .map_err(|_| "the request could not be built".to_string())?;
        let exchange = async {
            let answer = client
                .request(req)
                .await
                .map_err(|e| format!("no answer: {}", kind(&e)))?;
            let status = answer.status().as_u16();
            let retry_after = answer
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            let body = http_body_util::Limited::new(answer.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|_| "the answer could not be read".to_string())?
                .to_bytes()
                .to_vec();
            Ok(Answer {
                status,
                retry_after,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("no answer within {} ms", self.timeout.as_millis()))?
    }
}

/// What kind of failure, without the URL or anything sent.
fn kind(e: &hyper_util::client::legacy::Error) -> &'static str {
    if e.is_connect() {
        "could not connect"
    } else {
        "the exchange failed"
    }
}
