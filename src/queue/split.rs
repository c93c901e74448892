//! What an action leaves to do. An outcome is split into the items that
//! finished (succeeded, or failed for good) and those that did not (failed
//! in a way that may pass later: throttled, 5xx, timed out, not attempted
//! before the deadline), with the action that does the rest. The rest keeps
//! each item's client token and run name, so doing it again, however often,
//! starts nothing twice.

use crate::domain::{Action, ConfigurationOutcome, Error, FanOutItem, Outcome};

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
        match (action, outcome) {
            (Action::Configurations(asked), Outcome::Configured(c)) => {
                let (finished, rest) = c.split();
                Split {
                    finished: Outcome::Configured(finished),
                    rest: rest.map(|(change, results)| Rest {
                        action: Action::Configurations(asked.with_items(change.items)),
                        results: Outcome::Configured(results),
                    }),
                }
            }
            (Action::StartCodeSecurityScans(scans), Outcome::Scans(items)) => {
                fan_out(scans, items, Action::StartCodeSecurityScans, Outcome::Scans)
            }
            (Action::StartAssessmentRuns(runs), Outcome::Runs(items)) => {
                fan_out(runs, items, Action::StartAssessmentRuns, Outcome::Runs)
            }
            (_, outcome) => Split {
                finished: outcome,
                rest: None,
            },
        }
    }

    /// Nothing done and everything left: a fan-out queued whole. `None`
    /// for a single operation, which is never queued.
    pub fn deferred(action: &Action) -> Option<Split> {
        let finished = match action {
            Action::Configurations(c) => {
                Outcome::Configured(ConfigurationOutcome::none(c.direction))
            }
            Action::StartCodeSecurityScans(_) => Outcome::Scans(Vec::new()),
            Action::StartAssessmentRuns(_) => Outcome::Runs(Vec::new()),
            _ => return None,
        };
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
        let again = match action {
            Action::StartCodeSecurityScan(s) => Action::StartCodeSecurityScans(vec![s.clone()]),
            Action::StartAssessmentRun(r) => Action::StartAssessmentRuns(vec![r.clone()]),
            _ => return None,
        };
        Split::deferred(&again)
    }
}

/// A fan-out of `asked` (made into an action by `action`) split by its
/// `results` (made into an outcome by `outcome`); the executor keeps the
/// action's order.
fn fan_out<A: Clone, T>(
    asked: &[A],
    results: Vec<FanOutItem<T>>,
    action: fn(Vec<A>) -> Action,
    outcome: fn(Vec<FanOutItem<T>>) -> Outcome,
) -> Split {
    assert_eq!(asked.len(), results.len(), "one result per fan-out item");
    let (mut done, mut left, mut rest) = (Vec::new(), Vec::new(), Vec::new());
    for (a, r) in asked.iter().zip(results) {
        if r.result.as_ref().is_err_and(|e| e.retryable()) {
            rest.push(a.clone());
            left.push(r);
        } else {
            done.push(r);
        }
    }
    Split {
        finished: outcome(done),
        rest: (!rest.is_empty()).then(|| Rest {
            action: action(rest),
            results: outcome(left),
        }),
    }
}

#[cfg(test)]
mod tests;
