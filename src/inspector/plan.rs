//! Dry run: the calls an action would make, in order, with their inputs in
//! AWS's JSON shape (`Action::plan`), knowing repositories through the
//! resolver's project map. Nothing is called.

use super::resolve::Resolver;
use crate::domain::action::Lookup;
use crate::domain::{Action, PlannedCall};
use serde_json::Value;

impl Lookup for Resolver {
    fn known(&self, repository: &str) -> Option<String> {
        self.from_map(repository)
    }

    fn lookup_input(&self, repository: &str) -> Value {
        Resolver::list_coverage_input(repository)
    }
}

/// The calls `action` makes, in order.
pub fn plan(action: &Action, resolver: &Resolver) -> Vec<PlannedCall> {
    action.plan(resolver)
}
