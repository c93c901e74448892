//! inspector-scan-router: an AWS Lambda function that routes API Gateway,
//! EventBridge and direct invocations to Amazon Inspector operations.
//!
//! Data flows one way: [`decode`] the raw event into a trigger, [`route`] it
//! to a validated [`model::Action`], [`execute`] it through the SDK clients,
//! and [`encode`] the outcome for the caller. [`handler::App`] ties them up.

pub mod config;
pub mod decode;
pub mod encode;
pub mod error;
pub mod execute;
pub mod handler;
pub mod model;
pub mod preconnect;
pub mod push;
pub mod resolve;
pub mod route;
pub mod sdk;
pub mod telemetry;

pub use config::Settings;
pub use error::Error;
pub use handler::App;
