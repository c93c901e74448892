//! The work queue: SQS events in Lambda's shape without a running SQS
//! (`in_process`), the same against moto (`moto`, ignored: scripts/check-queue
//! runs it) and 100,000 items end to end (`end_to_end`, ignored: scripts/test
//! runs it).

mod bodies;
mod end_to_end;
mod in_process;
mod moto;
mod selectors;
mod split;
