//! The registry of operations, by their AWS names: what each is called,
//! the IAM action it needs, whether a caller may name it, and the settings
//! that switch it on. Matches here have no wildcard, so a new operation
//! does not compile until it has a name, an action and a place.

use super::assessment_run::CLASSIC;
use super::configurations::Direction;
pub use super::switch::Switch;

/// The operations, by their AWS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    StartCodeSecurityScan,
    GetCodeSecurityScan,
    /// BatchAssociate/BatchDisassociateCodeSecurityScanConfiguration: one
    /// shape, two directions (`domain::configurations`).
    ScanConfigurations(Direction),
    StartAssessmentRun,
    /// Supporting calls: repository resolution and sweeps' listings, and
    /// run look-up.
    ListCoverage,
    ListCodeSecurityScanConfigurationAssociations,
    ListAssessmentRuns,
    DescribeAssessmentRuns,
    /// A finished scan's findings by severity.
    ListFindingAggregations,
}

impl Direction {
    pub const fn operation(self) -> Operation {
        Operation::ScanConfigurations(self)
    }
}

impl Operation {
    /// Operations a non-HTTP caller may name in `action` / `detail-type`.
    pub const ALL: [Operation; 5] = [
        Operation::StartCodeSecurityScan,
        Operation::GetCodeSecurityScan,
        Operation::ScanConfigurations(Direction::Associate),
        Operation::ScanConfigurations(Direction::Disassociate),
        Operation::StartAssessmentRun,
    ];

    /// Operations with an HTTP route, in the route table's order.
    pub const ROUTED: [Operation; 6] = [
        Operation::StartCodeSecurityScan,
        Operation::GetCodeSecurityScan,
        Operation::ListFindingAggregations,
        Operation::ScanConfigurations(Direction::Associate),
        Operation::ScanConfigurations(Direction::Disassociate),
        Operation::StartAssessmentRun,
    ];

    /// The HTTP route (method, path, JWT scope after `JWT_SCOPE_PREFIX`)
    /// that asks for this operation; `None` for a supporting call. The
    /// findings route reads a scan's status and then its findings.
    pub const fn route(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            Operation::StartCodeSecurityScan => Some(("POST", "/scans", "scans.start")),
            Operation::GetCodeSecurityScan => {
                Some(("GET", "/scans/{projectId}/{scanId}", "scans.read"))
            }
            Operation::ListFindingAggregations => Some((
                "GET",
                "/scans/{projectId}/{scanId}/findings",
                "findings.read",
            )),
            Operation::ScanConfigurations(d) => Some(("POST", d.path(), d.scope())),
            Operation::StartAssessmentRun => Some((
                "POST",
                super::assessment_run::PATH,
                super::assessment_run::SCOPE,
            )),
            Operation::ListCoverage
            | Operation::ListCodeSecurityScanConfigurationAssociations
            | Operation::ListAssessmentRuns
            | Operation::DescribeAssessmentRuns => None,
        }
    }

    /// Operations an EventBridge command (`detail-type`) may name: every
    /// caller-named operation that changes something; reads are HTTP's.
    pub fn on_the_bus(self) -> bool {
        match self {
            Operation::StartCodeSecurityScan
            | Operation::ScanConfigurations(_)
            | Operation::StartAssessmentRun => true,
            Operation::GetCodeSecurityScan
            | Operation::ListCoverage
            | Operation::ListCodeSecurityScanConfigurationAssociations
            | Operation::ListAssessmentRuns
            | Operation::DescribeAssessmentRuns
            | Operation::ListFindingAggregations => false,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::StartCodeSecurityScan => "StartCodeSecurityScan",
            Operation::GetCodeSecurityScan => "GetCodeSecurityScan",
            Operation::ScanConfigurations(d) => d.name(),
            Operation::StartAssessmentRun => "StartAssessmentRun",
            Operation::ListCoverage => "ListCoverage",
            Operation::ListCodeSecurityScanConfigurationAssociations => {
                "ListCodeSecurityScanConfigurationAssociations"
            }
            Operation::ListAssessmentRuns => "ListAssessmentRuns",
            Operation::DescribeAssessmentRuns => "DescribeAssessmentRuns",
            Operation::ListFindingAggregations => "ListFindingAggregations",
        }
    }

    /// The IAM action the call needs, as the template grants it.
    pub fn iam_action(self) -> &'static str {
        match self {
            Operation::StartCodeSecurityScan => "inspector2:StartCodeSecurityScan",
            Operation::GetCodeSecurityScan => "inspector2:GetCodeSecurityScan",
            Operation::ScanConfigurations(d) => d.iam_action(),
            Operation::StartAssessmentRun => "inspector:StartAssessmentRun",
            Operation::ListCoverage => "inspector2:ListCoverage",
            Operation::ListCodeSecurityScanConfigurationAssociations => {
                "inspector2:ListCodeSecurityScanConfigurationAssociations"
            }
            Operation::ListAssessmentRuns => "inspector:ListAssessmentRuns",
            Operation::DescribeAssessmentRuns => "inspector:DescribeAssessmentRuns",
            Operation::ListFindingAggregations => "inspector2:ListFindingAggregations",
        }
    }

    /// Every operation the function calls, supporting calls included, in
    /// declaration order: what the template must grant (see [`Self::index`]).
    pub const EVERY: [Operation; 10] = [
        Operation::StartCodeSecurityScan,
        Operation::GetCodeSecurityScan,
        Operation::ScanConfigurations(Direction::Associate),
        Operation::ScanConfigurations(Direction::Disassociate),
        Operation::StartAssessmentRun,
        Operation::ListCoverage,
        Operation::ListAssessmentRuns,
        Operation::DescribeAssessmentRuns,
        Operation::ListFindingAggregations,
        Operation::ListCodeSecurityScanConfigurationAssociations,
    ];

    /// The operation's place in [`Self::EVERY`]. The match has no wildcard,
    /// so a new operation does not compile until it has a place, and the
    /// test below fails until [`Self::EVERY`] holds it there.
    pub const fn index(self) -> usize {
        match self {
            Operation::StartCodeSecurityScan => 0,
            Operation::GetCodeSecurityScan => 1,
            Operation::ScanConfigurations(Direction::Associate) => 2,
            Operation::ScanConfigurations(Direction::Disassociate) => 3,
            Operation::StartAssessmentRun => 4,
            Operation::ListCoverage => 5,
            Operation::ListAssessmentRuns => 6,
            Operation::DescribeAssessmentRuns => 7,
            Operation::ListFindingAggregations => 8,
            Operation::ListCodeSecurityScanConfigurationAssociations => 9,
        }
    }

    /// Every IAM action the function calls.
    pub fn iam_actions() -> Vec<&'static str> {
        Operation::EVERY.map(Operation::iam_action).to_vec()
    }

    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    pub fn names() -> String {
        Operation::ALL.map(Operation::name).join(", ")
    }
}

/// Every switch the function reads, in one list (`Switches` keeps one bit
/// per entry; the template test checks each is wired).
pub const SWITCHES: [Switch; 4] = [
    Direction::Associate.switch(),
    Direction::Disassociate.switch(),
    super::configurations::DISASSOCIATION_COMMANDS,
    CLASSIC,
];

/// Which switches are on: one bit per entry of [`SWITCHES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Switches(u8);

impl Switches {
    /// Every switch off (the default: fail closed).
    pub const OFF: Switches = Switches(0);
    /// Every switch on (local runs and tests say so).
    pub const ON: Switches = Switches((1 << SWITCHES.len()) - 1);

    fn bit(s: Switch) -> u8 {
        let i = SWITCHES
            .iter()
            .position(|k| k.setting == s.setting)
            .expect("every switch is in SWITCHES");
        1 << i
    }

    pub fn is_on(self, s: Switch) -> bool {
        self.0 & Self::bit(s) != 0
    }

    #[must_use]
    pub fn with(self, s: Switch, on: bool) -> Switches {
        if on {
            Switches(self.0 | Self::bit(s))
        } else {
            Switches(self.0 & !Self::bit(s))
        }
    }
}

/// An Inspector endpoint, as `PRECONNECT` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `inspector2`: code security scans and scan configurations.
    Inspector2,
    /// `inspector`: Inspector Classic assessment runs.
    Inspector,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Inspector2 => "inspector2",
            Service::Inspector => "inspector",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "inspector2" => Some(Service::Inspector2),
            "inspector" => Some(Service::Inspector),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_holds_each_operation_at_its_index() {
        for (i, op) in Operation::EVERY.iter().enumerate() {
            assert_eq!(op.index(), i, "{op:?}");
        }
        for op in Operation::ALL {
            assert_eq!(Operation::EVERY[op.index()], op);
        }
    }
}
