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
        }
    }

    /// Every IAM action the function calls: what the template must grant.
    pub const IAM_ACTIONS: [&'static str; 6] = [
        "inspector2:StartCodeSecurityScan",
        "inspector2:GetCodeSecurityScan",
        "inspector2:BatchDisassociateCodeSecurityScanConfiguration",
        "inspector2:ListCoverage",
        "inspector:StartAssessmentRun",
        "inspector:ListAssessmentRuns",
    ];

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
