//! The invocation's deadline, as the executor sees it.

use super::error::Error;
use std::time::{Duration, Instant};

/// When the invocation must have answered by, and how much time a call
/// needs: no call starts when less than `margin` is left.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Option<Instant>,
    pub margin: Duration,
}

impl Deadline {
    pub const NONE: Deadline = Deadline {
        at: None,
        margin: Duration::ZERO,
    };

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
