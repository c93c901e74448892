//! The request shapes and their making into actions live in the domain
//! (`domain::request`, one registry for every trigger); the ingress names
//! them here.

pub use crate::domain::request::{IDEMPOTENCY_KEY, Origin, Request, action_for};
