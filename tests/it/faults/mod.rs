//! When AWS misbehaves: throttling, 5xx, resets, slow answers and the Lambda
//! deadline; batches split and bounded in flight; the connection opened at
//! init; and what an operator sees (logs and metrics).

mod aws;
mod batch;
mod observability;
mod preconnect;
mod quota;
