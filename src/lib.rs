//! inspector-scan-router: an AWS Lambda function that routes API Gateway,
//! EventBridge and direct invocations to Amazon Inspector operations.
//!
//! Data flows one way: [`ingress`] decodes the raw event into a trigger and
//! routes it to a validated [`domain::Action`]; the [`inspector`] adapter
//! executes it through the SDK clients; [`ingress::encode`] answers the
//! caller. [`app::App`] is the one place that ties them together.
//!
//! [`queue`] sends the work that does not fit one invocation to SQS.
//!
//! `domain` imports nothing else of the crate; the adapters (`ingress`,
//! `inspector`, `secrets`, `results`, `report`) never import each other;
//! `queue` imports `domain`, `config`, `telemetry`, `sdk` and `ingress` (a
//! message body is a direct-invocation request), never `inspector`, and only
//! `app` imports it (all checked by `scripts/check-layout`).

pub mod app;
pub mod config;
/// The HTTP contract as an OpenAPI document: test-only (`scripts/openapi`).
#[cfg(test)]
mod contract;
pub mod domain;
pub mod ingress;
pub mod inspector;
pub mod queue;
pub mod report;
pub mod results;
pub mod sdk;
pub mod secrets;
pub mod telemetry;

pub use app::App;
pub use config::Settings;
pub use domain::Error;
