//! The operations, by their AWS names, and the endpoints they are called on.

/// The operations, by their AWS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    StartCodeSecurityScan,
    GetCodeSecurityScan,
    BatchDisassociateCodeSecurityScanConfiguration,
    StartAssessmentRun,
    /// Supporting calls: repository resolution and run look-up.
    ListCoverage,
    ListAssessmentRuns,
    DescribeAssessmentRuns,
    /// A finished scan's findings by severity.
    ListFindingAggregations,
}

impl Operation {
    /// Operations a non-HTTP caller may name in `action` / `detail-type`.
    pub const ALL: [Operation; 4] = [
        Operation::StartCodeSecurityScan,
        Operation::GetCodeSecurityScan,
        Operation::BatchDisassociateCodeSecurityScanConfiguration,
        Operation::StartAssessmentRun,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::StartCodeSecurityScan => "StartCodeSecurityScan",
            Operation::GetCodeSecurityScan => "GetCodeSecurityScan",
            Operation::BatchDisassociateCodeSecurityScanConfiguration => {
                "BatchDisassociateCodeSecurityScanConfiguration"
            }
            Operation::StartAssessmentRun => "StartAssessmentRun",
            Operation::ListCoverage => "ListCoverage",
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
            Operation::BatchDisassociateCodeSecurityScanConfiguration => {
                "inspector2:BatchDisassociateCodeSecurityScanConfiguration"
            }
            Operation::StartAssessmentRun => "inspector:StartAssessmentRun",
            Operation::ListCoverage => "inspector2:ListCoverage",
            Operation::ListAssessmentRuns => "inspector:ListAssessmentRuns",
            Operation::DescribeAssessmentRuns => "inspector:DescribeAssessmentRuns",
            Operation::ListFindingAggregations => "inspector2:ListFindingAggregations",
        }
    }

    /// Every operation the function calls, supporting calls included, in
    /// declaration order: what the template must grant (see [`Self::index`]).
    pub const EVERY: [Operation; 8] = [
        Operation::StartCodeSecurityScan,
        Operation::GetCodeSecurityScan,
        Operation::BatchDisassociateCodeSecurityScanConfiguration,
        Operation::StartAssessmentRun,
        Operation::ListCoverage,
        Operation::ListAssessmentRuns,
        Operation::DescribeAssessmentRuns,
        Operation::ListFindingAggregations,
    ];

    /// The operation's place in [`Self::EVERY`]. The match has no wildcard,
    /// so a new operation does not compile until it has a place, and the
    /// test below fails until [`Self::EVERY`] holds it there.
    pub const fn index(self) -> usize {
        match self {
            Operation::StartCodeSecurityScan => 0,
            Operation::GetCodeSecurityScan => 1,
            Operation::BatchDisassociateCodeSecurityScanConfiguration => 2,
            Operation::StartAssessmentRun => 3,
            Operation::ListCoverage => 4,
            Operation::ListAssessmentRuns => 5,
            Operation::DescribeAssessmentRuns => 6,
            Operation::ListFindingAggregations => 7,
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
