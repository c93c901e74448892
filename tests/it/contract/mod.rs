//! The contract a caller relies on: every bundled event and HTTP request
//! answered as README and openapi.json say, errors mapped to short
//! structured answers, pushes and schedules resolved and fanned out, and no
//! input (hand-made or generated) that makes the function panic.

mod docs;
mod errors;
mod events;
mod openapi;
mod properties;
mod routing;
mod selector_requests;
mod sweeps;
mod triggers;
