//! Dry run: the calls an action would make, in order, with their inputs in
//! AWS's JSON shape. Nothing is called.

use super::resolve::Resolver;
use crate::domain::{Action, Operation, PlannedCall, ScanTarget, StartRun, StartScan};
use serde_json::json;

fn call(op: Operation, input: serde_json::Value) -> PlannedCall {
    PlannedCall::of(op, input)
}

fn plan_scan(s: &StartScan, resolver: &Resolver) -> Vec<PlannedCall> {
    let mut calls = Vec::new();
    let project = match &s.target {
        ScanTarget::ProjectId(p) => p.clone(),
        ScanTarget::Repository(r) => match resolver.from_map(r) {
            Some(p) => p,
            None => {
                calls.push(call(
                    Operation::ListCoverage,
                    Resolver::list_coverage_input(r),
                ));
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
    let mut input = json!({"assessmentTemplateArn": r.assessment_template_arn});
    if let Some(n) = &r.assessment_run_name {
        input["assessmentRunName"] = n.clone().into();
    }
    call(Operation::StartAssessmentRun, input)
}

/// The calls an action makes, in order. A scan-configuration batch is split
/// into calls of at most 25 items; a repository the project
/// map does not name is looked up with ListCoverage first.
pub fn plan(action: &Action, resolver: &Resolver) -> Vec<PlannedCall> {
    match action {
        Action::StartCodeSecurityScan(s) => plan_scan(s, resolver),
        Action::StartCodeSecurityScans(scans) => {
            scans.iter().flat_map(|s| plan_scan(s, resolver)).collect()
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
    }
}
