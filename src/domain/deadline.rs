//! The invocation's deadline, as the executor sees it.

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
}
