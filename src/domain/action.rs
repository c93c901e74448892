//! Actions: validated requests, ready to execute, whatever trigger sent them.

use super::configurations::ConfigurationChange;
use super::operation::{CLASSIC, Operation, Switch};

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub reason: String,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
}

impl Action {
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
        }
    }
}

/// What to scan: a project, or a repository resolved to its project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScanTarget {
    ProjectId(String),
    /// `owner/name` (GitLab: `group/subgroup/name`) or a bare `name`.
    Repository(String),
}

impl ScanTarget {
    /// A stable key for the target, used to derive per-target tokens.
    pub fn key(&self) -> &str {
        match self {
            ScanTarget::ProjectId(p) | ScanTarget::Repository(p) => p,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartScan {
    pub target: ScanTarget,
    pub client_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetScan {
    pub project_id: String,
    pub scan_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartRun {
    pub assessment_template_arn: String,
    pub assessment_run_name: Option<String>,
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
            // Not switchable: starting and reading scans, a scan's findings
            // (its own route and scope), and nothing to do.
            Action::StartCodeSecurityScan(_)
            | Action::StartCodeSecurityScans(_)
            | Action::GetCodeSecurityScan(_)
            | Action::GetCodeSecurityScanFindings(_)
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
