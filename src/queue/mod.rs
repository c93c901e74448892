//! The work queue, in one home: what a queued message is and how it is
//! consumed ([`message`]: SQS events, attributes, the partial batch
//! response), how work becomes messages ([`bodies`]), how an outcome splits
//! into what finished and what is left ([`split`]), when unfinished work
//! comes back and when it is dead-lettered ([`later`]), and producing
//! ([`send`], packed by [`batches`]); and the watch queue ([`watch`]), where
//! a watch on each scan started waits. `app` ties it in (`app/work.rs`,
//! `app/watches.rs`).
//!
//! It may import `domain`, `config` and `ingress` (a message body is a
//! direct-invocation request, routed by ingress's direct router); nothing
//! but `app` imports it, and it never calls Inspector.

pub mod batches;
pub mod bodies;
pub mod fifo;
pub mod later;
pub mod message;
pub mod send;
pub mod split;
pub mod watch;

pub use batches::{MAX_BATCH_BYTES, MAX_ENTRIES};
pub use message::QueuedMessage;
pub use send::{Outgoing, SEND_ACTION, Unsent, WorkQueue};
pub use split::{Rest, Split};
pub use watch::WatchQueue;
