//! The integration tests: one crate, one binary, one module per promise
//! the README makes. tests/README.md maps each promise to the tests that
//! guard it.
//!
//! - `contract`: events, HTTP answers and errors as README and openapi.json say;
//! - `exactly_once`: the same work delivered twice starts it once;
//! - `trust`: only the callers named can start or stop scanning (the gate);
//! - `faults`: throttling, 5xx, resets, deadlines, bounded batches, logs;
//! - `queue`: the work queue, in process, against moto, end to end;
//! - `results`: every scan started ends in one results event (against moto);
//! - `webhooks`: deliveries straight from GitHub and GitLab;
//! - `template`: template.yaml agrees with the code;
//! - `emulator`: the built bootstrap under the Lambda emulator.
//!
//! Ignored tests need a tool and run from a script: `queue::moto`
//! and `results` (scripts/check-queue), `queue::end_to_end` (scripts/test), `emulator`
//! (scripts/check-template).

#[path = "../common/mod.rs"]
mod common;

mod checks;
mod concurrent;
mod contract;
mod emulator;
mod exactly_once;
mod faults;
mod queue;
mod results;
mod template;
mod trust;
mod webhooks;
