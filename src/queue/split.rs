//! What an action leaves to do. An outcome is split into the items that
//! finished (succeeded, or failed for good) and those that did not (failed
//! in a way that may pass later: throttled, 5xx, timed out, not attempted
//! before the deadline), with the action that does the rest. The rest keeps
//! each item's client token and run name, so doing it again, however often,
//! starts nothing twice.

use crate::domain::{Action, Error, Outcome};

/// An outcome split by what is left to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The items that finished; for a single operation, the whole outcome.
    pub finished: Outcome,
    /// What is left, if anything.
    pub rest: Option<Rest>,
}

/// The unfinished items of a fan-out.
#[derive(Debug, Clone, PartialEq)]
pub struct Rest {
    /// The action that does them, with their tokens and run names.
    pub action: Action,
    /// Their results so far (errors), in the outcome's shape; empty when
    /// nothing was attempted.
    pub results: Outcome,
}

impl Split {
    /// Splits `outcome`, what `action` came to. An outcome that is not the
    /// action's own kind (a dry run, a skip) is finished as a whole.
    pub fn of(action: &Action, outcome: Outcome) -> Split {
        let (finished, rest) = action.split(outcome);
        Split {
            finished,
            rest: rest.map(|(action, results)| Rest { action, results }),
        }
    }

    /// Nothing done and everything left: a fan-out queued whole. `None`
    /// for a single operation, which is never queued.
    pub fn deferred(action: &Action) -> Option<Split> {
        let finished = action.nothing_done()?;
        Some(Split {
            rest: Some(Rest {
                action: action.clone(),
                results: finished.clone(),
            }),
            finished,
        })
    }

    /// How many items are left to do.
    pub fn unfinished_items(&self) -> usize {
        self.rest.as_ref().map_or(0, |r| r.action.items())
    }
}

impl Split {
    /// A queued single start (a scan with its own token, a Classic run with
    /// its name) that failed in a way that may pass later (throttled, 5xx,
    /// timed out, not attempted before the deadline): nothing finished, and
    /// the one-item fan-out that does it later left: throttling is never
    /// failure, for any message. `None` for an error for good, or an
    /// operation never queued.
    pub fn later(action: &Action, e: &Error) -> Option<Split> {
        if !e.retryable() {
            return None;
        }
        let again = action.as_fan_out()?;
        Split::deferred(&again)
    }
}
