//! The invocation's deadline, as the executor sees it.

use super::error::Error;
use std::time::{Duration, Instant};

/// Who is waiting for a call, as the pacer sees it: someone now (an HTTP
/// request, a webhook, one start), or a fan-out, a queue message or a scan
/// watch, which can come back later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lane {
    /// Never queues behind bulk work; a call that would wait past its
    /// deadline is answered as throttled at once.
    #[default]
    Interactive,
    /// Paced at the rate found, bounded in flight; what the deadline cuts
    /// off comes back later.
    Bulk,
}

/// When the invocation must have answered by, and how much time a call
/// needs: no call starts when less than `margin` is left. `lane` says who
/// waits for its calls.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Option<Instant>,
    pub margin: Duration,
    pub lane: Lane,
}

impl Deadline {
    pub const NONE: Deadline = Deadline {
        at: None,
        margin: Duration::ZERO,
        lane: Lane::Interactive,
    };

    /// The same deadline for bulk work (a fan-out's items, a queue message).
    pub fn bulk(self) -> Deadline {
        Deadline {
            lane: Lane::Bulk,
            ..self
        }
    }

    /// Is there time to start another call?
    pub fn allows_call(&self) -> bool {
        self.at
            .is_none_or(|at| at.saturating_duration_since(Instant::now()) > self.margin)
    }

    /// `Ok` when there is time to start a call of `operation` (an IAM action
    /// name); else the error that reports it not attempted.
    pub fn check(&self, operation: &'static str) -> Result<(), Error> {
        if self.allows_call() {
            Ok(())
        } else {
            Err(Error::NotAttempted { operation })
        }
    }

    /// How long until no call may start; `None` without a deadline.
    pub fn time_for_calls(&self) -> Option<Duration> {
        self.at.map(|at| {
            at.saturating_duration_since(Instant::now())
                .saturating_sub(self.margin)
        })
    }

    /// Sleeps `wanted`, or less if the deadline for calls comes first.
    pub async fn sleep(&self, wanted: Duration) {
        let wait = self
            .time_for_calls()
            .map_or(wanted, |left| wanted.min(left));
        tokio::time::sleep(wait).await;
    }
}
