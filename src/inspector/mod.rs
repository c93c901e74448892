//! The Inspector adapter: the SDK clients and their retry policy, error
//! mapping, scans, assessment runs, scan-configuration batches, repository resolution,
//! dry-run plans and preconnect. It knows nothing of triggers.

pub mod batch;
pub mod client;
pub mod errors;
pub mod executor;
pub mod findings;
pub mod pace;
pub mod plan;
pub mod preconnect;
pub mod resolve;
pub mod runs;
pub mod scans;
pub mod select;

pub use client::resilience;
/// How an AWS error code maps onto a kind (the OpenAPI document lists the codes).
#[cfg(test)]
pub(crate) use errors::kind_for;
pub use executor::{Executor, Inspector};
