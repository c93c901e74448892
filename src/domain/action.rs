//! Actions: validated requests, ready to execute, whatever trigger sent them.

use super::assessment_run::{CLASSIC, StartRun};
use super::configurations::{ConfigurationChange, ConfigurationOutcome};
use super::error::Error;
use super::operation::{Operation, Switch};
use super::outcome::{FanOutItem, Outcome, PlannedCall, Skip};
use super::selector::Page;
use super::sweep::{Sweep, SweepOf};
pub use super::targets::{GetScan, ScanTarget, StartScan, scan_messages};
use serde_json::{Value, json};

/// A validated request, ready to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    StartCodeSecurityScan(StartScan),
    /// Fan-out: one scan per target, one result per target.
    StartCodeSecurityScans(Vec<StartScan>),
    GetCodeSecurityScan(GetScan),
    /// A scan's status and, once `SUCCESSFUL`, its project's findings by
    /// severity: a route and scope of their own (`findings.read`).
    GetCodeSecurityScanFindings(GetScan),
    /// Scan configurations associated with or disassociated from projects
    /// (`domain::configurations`).
    Configurations(ConfigurationChange),
    StartAssessmentRun(StartRun),
    /// Fan-out: one run per template, one result per template.
    StartAssessmentRuns(Vec<StartRun>),
    /// Nothing to do (a push to another branch, a tag, a deletion): a
    /// success with the reason.
    Skip(Skip),
    /// The operation on every project a selector names, found page by page
    /// and fed into the sweep queue (`domain::selector`).
    Sweep(Sweep),
}

impl Action {
    /// A push's scan of `repository`, keyed on provider, repository and
    /// commit (`after`), so every delivery of one push starts one scan; a
    /// push without a commit is keyed on `base` (the event's id) instead.
    pub fn push_scan(
        provider: &str,
        repository: String,
        after: &str,
        base: Option<&str>,
    ) -> Action {
        let client_token = if after.is_empty() {
            base.map(|b| super::keys::derive_token(b, &repository))
        } else {
            Some(super::keys::push_token(provider, &repository, after))
        };
        Action::StartCodeSecurityScan(StartScan {
            target: ScanTarget::Repository(repository),
            client_token,
        })
    }

    /// A plain schedule rule's work: one Classic run per template, each
    /// named from the event (`name`).
    pub fn scheduled(templates: &[String], name: Option<String>) -> Result<Action, super::Error> {
        super::assessment_run::scheduled(templates, name).map(Action::StartAssessmentRuns)
    }

    /// The identifiers the action is about, for the invocation's log line.
    pub fn describe(&self) -> String {
        match self {
            Action::StartCodeSecurityScan(s) => s.target.key().to_string(),
            Action::StartCodeSecurityScans(v) => format!("{} targets", v.len()),
            Action::GetCodeSecurityScan(g) | Action::GetCodeSecurityScanFindings(g) => {
                format!("{}/{}", g.project_id, g.scan_id)
            }
            Action::Configurations(c) => format!("{} items", c.items.len()),
            Action::StartAssessmentRun(r) => r.assessment_template_arn.clone(),
            Action::StartAssessmentRuns(v) => format!("{} templates", v.len()),
            Action::Skip(s) => s.repository.clone().unwrap_or_default(),
            Action::Sweep(s) => s.describe(),
        }
    }

    pub fn operation(&self) -> Operation {
        match self {
            Action::StartCodeSecurityScan(_)
            | Action::StartCodeSecurityScans(_)
            | Action::Skip(_) => Operation::StartCodeSecurityScan,
            Action::GetCodeSecurityScan(_) => Operation::GetCodeSecurityScan,
            Action::GetCodeSecurityScanFindings(_) => Operation::ListFindingAggregations,
            Action::Configurations(c) => c.direction.operation(),
            Action::StartAssessmentRun(_) | Action::StartAssessmentRuns(_) => {
                Operation::StartAssessmentRun
            }
            Action::Sweep(s) => s.operation(),
        }
    }
}

impl Action {
    /// Disassociation items or fan-out targets; 1 for a single operation.
    pub fn items(&self) -> usize {
        match self {
            Action::StartCodeSecurityScans(v) => v.len(),
            Action::Configurations(c) => c.items.len(),
            Action::StartAssessmentRuns(v) => v.len(),
            _ => 1,
        }
    }

    /// A sweep by selector (expanded through the sweep queue).
    pub fn is_sweep(&self) -> bool {
        matches!(self, Action::Sweep(_))
    }

    /// An action of many items, which can be split into parts and queued.
    pub fn is_fan_out(&self) -> bool {
        matches!(
            self,
            Action::StartCodeSecurityScans(_)
                | Action::Configurations(_)
                | Action::StartAssessmentRuns(_)
        )
    }

    /// The switches that must be on for this action to run (`from_the_bus`:
    /// an EventBridge command). One arm per action and no catch-all: a new
    /// action does not compile until its switches (or none) are written here.
    pub fn switches(&self, from_the_bus: bool) -> Vec<Switch> {
        match self {
            Action::Configurations(c) => c.direction.switches(from_the_bus),
            Action::StartAssessmentRun(_) | Action::StartAssessmentRuns(_) => vec![CLASSIC],
            Action::Sweep(s) => s.switches(from_the_bus),
            // Not switchable: starting and reading scans, a scan's findings
            // (its own route and scope), and nothing to do.
            Action::StartCodeSecurityScan(_)
            | Action::StartCodeSecurityScans(_)
            | Action::GetCodeSecurityScan(_)
            | Action::GetCodeSecurityScanFindings(_)
            | Action::Skip(_) => Vec::new(),
        }
    }

    /// The fields naming a scan configuration outside `allowed` (each
    /// field under `prefix`). One arm per action and no catch-all: a new
    /// action does not compile until it says what it names.
    pub fn outside(&self, allowed: &[String], prefix: &str) -> Vec<super::FieldError> {
        match self {
            Action::Configurations(c) => c.outside(allowed, prefix),
            Action::Sweep(s) => s.outside(allowed, prefix),
            Action::StartCodeSecurityScan(_)
            | Action::StartCodeSecurityScans(_)
            | Action::GetCodeSecurityScan(_)
            | Action::GetCodeSecurityScanFindings(_)
            | Action::StartAssessmentRun(_)
            | Action::StartAssessmentRuns(_)
            | Action::Skip(_) => Vec::new(),
        }
    }

    /// The items, named for a log record: `scanConfigurationArn/projectId`,
    /// scan targets, or template ARNs.
    pub fn item_names(&self) -> Vec<String> {
        match self {
            Action::Configurations(c) => c.names(),
            Action::StartCodeSecurityScans(v) => {
                v.iter().map(|s| s.target.key().to_string()).collect()
            }
            Action::StartAssessmentRuns(v) => v
                .iter()
                .map(|r| r.assessment_template_arn.clone())
                .collect(),
            other => vec![other.describe()],
        }
    }
}

/// What an outcome leaves to do: the outcome of what finished, and the
/// action that does the rest with the rest's results so far.
pub type Split = (Outcome, Option<(Action, Outcome)>);

impl Action {
    /// Splits `outcome`, what this action came to, into what finished
    /// (succeeded, or failed for good) and what may pass later (throttled,
    /// 5xx, timed out, not attempted). The rest keeps each item's token and
    /// run name. An outcome that is not the action's own kind (a dry run, a
    /// skip) is finished as a whole.
    pub fn split(&self, outcome: Outcome) -> Split {
        match (self, outcome) {
            (Action::Configurations(asked), Outcome::Configured(c)) => {
                let (finished, rest) = c.split();
                let rest = rest.map(|(change, results)| {
                    (
                        Action::Configurations(asked.with_items(change.items)),
                        Outcome::Configured(results),
                    )
                });
                (Outcome::Configured(finished), rest)
            }
            (Action::StartCodeSecurityScans(scans), Outcome::Scans(items)) => {
                fan_out(scans, items, Action::StartCodeSecurityScans, Outcome::Scans)
            }
            (Action::StartAssessmentRuns(runs), Outcome::Runs(items)) => {
                fan_out(runs, items, Action::StartAssessmentRuns, Outcome::Runs)
            }
            (_, outcome) => (outcome, None),
        }
    }

    /// A fan-out's outcome before anything was done; `None` for a single
    /// operation, which is never queued.
    pub fn nothing_done(&self) -> Option<Outcome> {
        match self {
            Action::Configurations(c) => {
                Some(Outcome::Configured(ConfigurationOutcome::none(c.direction)))
            }
            Action::StartCodeSecurityScans(_) => Some(Outcome::Scans(Vec::new())),
            Action::StartAssessmentRuns(_) => Some(Outcome::Runs(Vec::new())),
            _ => None,
        }
    }

    /// A single start (a scan with its own token, a Classic run with its
    /// name) as the one-item fan-out that does it later; `None` for an
    /// operation that is never done later.
    pub fn as_fan_out(&self) -> Option<Action> {
        match self {
            Action::StartCodeSecurityScan(s) => {
                Some(Action::StartCodeSecurityScans(vec![s.clone()]))
            }
            Action::StartAssessmentRun(r) => Some(Action::StartAssessmentRuns(vec![r.clone()])),
            _ => None,
        }
    }

    /// The work-queue bodies (direct-invocation requests) that do this
    /// fan-out, each of at most `per_message` items.
    pub fn messages(&self, per_message: usize) -> Result<Vec<Value>, Error> {
        let op = self.operation().name();
        match self {
            Action::Configurations(c) => Ok(c.messages(per_message)),
            Action::StartCodeSecurityScans(scans) => Ok(scan_messages(op, scans, per_message)),
            Action::StartAssessmentRuns(runs) => Ok(runs.iter().map(|r| r.message(op)).collect()),
            other => Err(Error::Internal {
                message: format!(
                    "{} is a single operation; only fan-outs are queued",
                    other.operation().name()
                ),
            }),
        }
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
    (
        outcome(done),
        (!rest.is_empty()).then(|| (action(rest), outcome(left))),
    )
}

impl Sweep {
    /// The operation the sweep does on each project it selects.
    pub fn operation(&self) -> Operation {
        match &self.of {
            SweepOf::Scans { .. } => Operation::StartCodeSecurityScan,
            SweepOf::Configurations { direction, .. } => direction.operation(),
        }
    }
}

impl Action {
    /// The work one page of `sweep` comes to: the projects its selector
    /// keeps, each once; `None` when it keeps none. A scan's token is
    /// derived from the sweep's key and the project, the same on every
    /// delivery of the sweep.
    pub fn of_page(sweep: &Sweep, page: &Page) -> Option<Action> {
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<&str> = page
            .projects
            .iter()
            .filter(|p| sweep.select.keeps(p) && seen.insert(p.project_id.as_str()))
            .map(|p| p.project_id.as_str())
            .collect();
        if ids.is_empty() {
            return None;
        }
        Some(match &sweep.of {
            SweepOf::Scans { token_base } => Action::StartCodeSecurityScans(
                ids.iter()
                    .map(|id| StartScan {
                        target: ScanTarget::ProjectId(id.to_string()),
                        client_token: token_base
                            .as_deref()
                            .map(|b| super::keys::derive_token(b, id)),
                    })
                    .collect(),
            ),
            SweepOf::Configurations {
                direction,
                scan_configuration_arn,
            } => Action::Configurations(ConfigurationChange {
                direction: *direction,
                items: ids
                    .iter()
                    .map(|id| super::configurations::ConfigurationItem {
                        scan_configuration_arn: scan_configuration_arn.clone(),
                        project_id: id.to_string(),
                    })
                    .collect(),
            }),
        })
    }
}

/// What a dry run knows of repositories: the project map's entry, and the
/// input of the call that would look one up (`inspector::resolve`).
pub trait Lookup {
    fn known(&self, repository: &str) -> Option<String>;
    fn lookup_input(&self, repository: &str) -> Value;
}

fn call(op: Operation, input: serde_json::Value) -> PlannedCall {
    PlannedCall::of(op, input)
}

fn plan_scan(s: &StartScan, lookup: &dyn Lookup) -> Vec<PlannedCall> {
    let mut calls = Vec::new();
    let project = match &s.target {
        ScanTarget::ProjectId(p) => p.clone(),
        ScanTarget::Repository(r) => match lookup.known(r) {
            Some(p) => p,
            None => {
                calls.push(call(Operation::ListCoverage, lookup.lookup_input(r)));
                format!("<projectId of {r}>")
            }
        },
    };
    let mut input = json!({"resource": {"projectId": project}});
    if let Some(t) = &s.client_token {
        input["clientToken"] = t.clone().into();
    }
    calls.push(call(Operation::StartCodeSecurityScan, input));
    calls
}

fn plan_run(r: &StartRun) -> PlannedCall {
    call(Operation::StartAssessmentRun, r.input())
}

impl Action {
    /// The calls this action makes, in order (a dry run's plan). A
    /// scan-configuration batch is split into calls of at most 25 items; a
    /// repository the project map does not name is looked up first.
    pub fn plan(&self, lookup: &dyn Lookup) -> Vec<PlannedCall> {
        match self {
            Action::StartCodeSecurityScan(s) => plan_scan(s, lookup),
            Action::StartCodeSecurityScans(scans) => {
                scans.iter().flat_map(|s| plan_scan(s, lookup)).collect()
            }
            Action::StartAssessmentRuns(runs) => runs.iter().map(plan_run).collect(),
            Action::Skip(_) => Vec::new(),
            Action::GetCodeSecurityScan(g) => vec![call(
                Operation::GetCodeSecurityScan,
                json!({"resource": {"projectId": g.project_id}, "scanId": g.scan_id}),
            )],
            Action::GetCodeSecurityScanFindings(g) => vec![
                call(
                    Operation::GetCodeSecurityScan,
                    json!({"resource": {"projectId": g.project_id}, "scanId": g.scan_id}),
                ),
                call(
                    Operation::ListFindingAggregations,
                    json!({"aggregationType": "CODE_REPOSITORY", "aggregationRequest": {"codeRepositoryAggregation": {"resourceIds": [{"comparison": "EQUALS", "value": g.project_id}]}}}),
                ),
            ],
            Action::Configurations(c) => c
                .plan()
                .into_iter()
                .map(|input| call(c.direction.operation(), input))
                .collect(),
            Action::StartAssessmentRun(r) => vec![plan_run(r)],
            // The first page's listing: what the rest comes to is not known
            // before it is read.
            Action::Sweep(s) => vec![call(
                s.listing(),
                s.select.list_input(s.next_token.as_deref()),
            )],
        }
    }
}
