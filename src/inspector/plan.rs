//! Dry run: the calls an action would make, in order, with their inputs in
//! AWS's JSON shape. Nothing is called.

use super::resolve::Resolver;
use crate::domain::{
    Action, DISASSOCIATE_BATCH_LIMIT, Operation, PlannedCall, ScanTarget, StartRun, StartScan,
};
use serde_json::{Value, json};

fn call(op: Operation, input: Value) -> PlannedCall {
    PlannedCall {
        service: op.iam_action().split(':').next().unwrap_or_default(),
        operation: op.name(),
        input,
    }
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

/// The calls an action makes, in order. Disassociation is split into calls
/// of at most [`DISASSOCIATE_BATCH_LIMIT`] items; a repository the project
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
        Action::BatchDisassociate(d) => d
            .items
            .chunks(DISASSOCIATE_BATCH_LIMIT)
            .map(|chunk| {
                let requests: Vec<Value> = chunk
                    .iter()
                    .map(|i| json!({"scanConfigurationArn": i.scan_configuration_arn, "resource": {"projectId": i.project_id}}))
                    .collect();
                call(
                    Operation::BatchDisassociateCodeSecurityScanConfiguration,
                    json!({"disassociateConfigurationRequests": requests}),
                )
            })
            .collect(),
        Action::StartAssessmentRun(r) => vec![plan_run(r)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Disassociate, DisassociateItem};
    use std::collections::HashMap;
    use std::time::Duration;

    #[test]
    fn plan_splits_disassociation_into_calls_of_25() {
        let items = (0..60)
            .map(|i| DisassociateItem {
                scan_configuration_arn: format!("arn-{i}"),
                project_id: format!("p-{i}"),
            })
            .collect();
        let resolver = Resolver::new(HashMap::new(), Duration::ZERO, 0);
        let calls = plan(
            &Action::BatchDisassociate(Disassociate { items }),
            &resolver,
        );
        let sizes: Vec<usize> = calls
            .iter()
            .map(|c| {
                c.input["disassociateConfigurationRequests"]
                    .as_array()
                    .unwrap()
                    .len()
            })
            .collect();
        assert_eq!(sizes, [25, 25, 10]);
        assert_eq!(
            calls[2].input["disassociateConfigurationRequests"][9]["resource"]["projectId"],
            "p-59"
        );
        assert_eq!(calls[0].service, "inspector2");
    }
}
