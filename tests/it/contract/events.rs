//! Every bundled event, driven through the handler with the real SDK clients
//! against a local stand-in for Inspector; checks what reaches the wire and
//! what the caller gets back.

use crate::common;

use common::*;
use serde_json::{Value, json};

/// The one request the handler should make: where it goes and its JSON body.
struct Wire {
    path: &'static str,
    target: Option<&'static str>,
    body: Value,
}

fn start_scan(token: &str) -> Wire {
    Wire {
        path: "/codesecurity/scan/start",
        target: None,
        body: json!({"resource": {"projectId": PROJECT}, "clientToken": token}),
    }
}

fn disassociate(projects: &[&str]) -> Wire {
    let items: Vec<Value> = projects
        .iter()
        .map(|p| json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": p}}))
        .collect();
    Wire {
        path: "/codesecurity/scan-configuration/batch/disassociate",
        target: None,
        body: json!({"disassociateConfigurationRequests": items}),
    }
}

fn associate(projects: &[&str]) -> Wire {
    let items: Vec<Value> = projects
        .iter()
        .map(|p| json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": p}}))
        .collect();
    Wire {
        path: "/codesecurity/scan-configuration/batch/associate",
        target: None,
        body: json!({"associateConfigurationRequests": items}),
    }
}

fn start_run(body: Value) -> Wire {
    Wire {
        path: "/",
        target: Some("InspectorService.StartAssessmentRun"),
        body,
    }
}

fn get_scan() -> Wire {
    Wire {
        path: "/codesecurity/scan/get",
        target: None,
        body: json!({"resource": {"projectId": PROJECT}, "scanId": SCAN_ID}),
    }
}

/// One bundled event: its file, the call it must make, and a check of the answer.
type Case = (&'static str, Wire, fn(&Value));

/// The cases, one per file in events/.
fn cases() -> Vec<Case> {
    vec![
        (
            "http-start-scan.json",
            // The caller's Idempotency-Key, namespaced by the IAM caller.
            start_scan(&http_token(
                CI_CALLER_SCOPE,
                "deploy-2026-11-21-0001",
                PROJECT,
            )),
            |r| {
                assert_eq!(r["statusCode"], 202);
                assert_eq!(
                    http_body(r),
                    json!({"projectId": PROJECT, "scanId": SCAN_ID, "status": "IN_PROGRESS"})
                );
                assert_eq!(
                    resp_header(r, "location"),
                    Some(format!("/prod/scans/{PROJECT}/{SCAN_ID}").as_str())
                );
                assert_eq!(resp_header(r, "content-type"), Some("application/json"));
            },
        ),
        ("http-get-scan.json", get_scan(), |r| {
            assert_eq!(r["statusCode"], 200);
            let b = http_body(r);
            assert_eq!(b["status"], "SUCCESSFUL");
            assert_eq!(b["projectId"], PROJECT);
            assert_eq!(b["createdAt"], "2026-11-19T16:00:00Z");
            // Status only: the findings have a route and scope of their
            // own, and no answer carries the account id.
            assert!(b.get("findings").is_none(), "{b}");
            assert!(b.get("accountId").is_none(), "{b}");
            assert_eq!(
                b["lastCommitId"],
                "9fceb02d0ae598e95dc970b74767f19372d61af8"
            );
        }),
        (
            "http-associate.json",
            associate(&[PROJECT, PROJECT2]),
            |r| {
                assert_eq!(r["statusCode"], 200);
                let b = http_body(r);
                assert_eq!(b["successfulAssociations"].as_array().unwrap().len(), 2);
                assert_eq!(b["failedAssociations"], json!([]));
            },
        ),
        (
            "http-disassociate.json",
            disassociate(&[PROJECT, PROJECT2]),
            |r| {
                assert_eq!(r["statusCode"], 200);
                let b = http_body(r);
                assert_eq!(b["successfulAssociations"].as_array().unwrap().len(), 2);
                assert_eq!(b["failedAssociations"], json!([]));
            },
        ),
        (
            "http-start-assessment-run.json",
            start_run(
                json!({"assessmentTemplateArn": TEMPLATE_ARN, "assessmentRunName": "release-2026-11-21"}),
            ),
            |r| {
                assert_eq!(r["statusCode"], 201);
                assert_eq!(
                    http_body(r),
                    json!({"assessmentRunArn": format!("{TEMPLATE_ARN}/run/0-MKkpXXPE")})
                );
            },
        ),
        (
            "function-url-start-scan.json",
            start_scan(&http_token(CI_CALLER_SCOPE, "fn-url-0001", PROJECT)),
            |r| {
                assert_eq!(r["statusCode"], 202);
                assert_eq!(
                    resp_header(r, "location"),
                    Some(format!("/scans/{PROJECT}/{SCAN_ID}").as_str())
                );
            },
        ),
        (
            "rest-start-scan.json",
            // A REST API with IAM auth: the key namespaced by the IAM caller.
            start_scan(&http_token(CI_CALLER_SCOPE, "rest-0001", PROJECT)),
            |r| {
                assert_eq!(r["statusCode"], 202);
                assert!(
                    r.get("multiValueHeaders").is_some(),
                    "REST API envelope: {r}"
                );
                assert!(
                    r.get("cookies").is_none(),
                    "REST API envelope has no cookies: {r}"
                );
            },
        ),
        (
            "eventbridge-start-scan.json",
            start_scan("ci-pipeline-4711"),
            |r| {
                assert_eq!(r["trigger"], "eventbridge");
                assert_eq!(r["action"], "StartCodeSecurityScan");
                assert_eq!(
                    r["result"],
                    json!({"projectId": PROJECT, "scanId": SCAN_ID, "status": "IN_PROGRESS"})
                );
            },
        ),
        ("eventbridge-associate.json", associate(&[PROJECT]), |r| {
            assert_eq!(r["action"], "BatchAssociateCodeSecurityScanConfiguration");
            assert_eq!(
                r["result"]["successfulAssociations"][0]["resource"]["projectId"],
                PROJECT
            );
        }),
        (
            "eventbridge-disassociate.json",
            disassociate(&[PROJECT]),
            |r| {
                assert_eq!(
                    r["action"],
                    "BatchDisassociateCodeSecurityScanConfiguration"
                );
                assert_eq!(
                    r["result"]["successfulAssociations"][0]["resource"]["projectId"],
                    PROJECT
                );
            },
        ),
        (
            "eventbridge-start-assessment-run.json",
            start_run(
                json!({"assessmentTemplateArn": TEMPLATE_ARN, "assessmentRunName": "inspector-scan-router-2026-11-21T16:00:00Z-9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}),
            ),
            |r| {
                assert_eq!(r["action"], "StartAssessmentRun");
                assert_eq!(
                    r["result"]["assessmentRunArn"],
                    format!("{TEMPLATE_ARN}/run/0-MKkpXXPE")
                );
            },
        ),
        (
            "direct-start-scan.json",
            start_scan("stepfn-exec-0001"),
            |r| {
                assert_eq!(r["trigger"], "direct");
                assert_eq!(r["result"]["scanId"], SCAN_ID);
            },
        ),
        ("direct-get-scan.json", get_scan(), |r| {
            assert_eq!(r["action"], "GetCodeSecurityScan");
            assert_eq!(r["result"]["status"], "SUCCESSFUL");
        }),
        (
            "direct-associate.json",
            associate(&[PROJECT, PROJECT2]),
            |r| {
                assert_eq!(r["action"], "BatchAssociateCodeSecurityScanConfiguration");
                assert_eq!(
                    r["result"]["successfulAssociations"]
                        .as_array()
                        .unwrap()
                        .len(),
                    2
                );
            },
        ),
        (
            "direct-disassociate.json",
            disassociate(&[PROJECT, PROJECT2]),
            |r| {
                assert_eq!(
                    r["result"]["successfulAssociations"]
                        .as_array()
                        .unwrap()
                        .len(),
                    2
                );
            },
        ),
        (
            "direct-start-assessment-run.json",
            start_run(
                json!({"assessmentTemplateArn": TEMPLATE_ARN, "assessmentRunName": "weekly-2026-47"}),
            ),
            |r| {
                assert_eq!(
                    r["result"]["assessmentRunArn"],
                    format!("{TEMPLATE_ARN}/run/0-MKkpXXPE")
                )
            },
        ),
    ]
}

#[test]
fn every_bundled_event_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(events_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    let mut covered: Vec<String> = cases()
        .iter()
        .map(|(f, _, _)| f.to_string())
        .chain(TRIGGER_EVENTS.iter().map(|f| f.to_string()))
        .chain(QUEUE_EVENTS.iter().map(|f| f.to_string()))
        .chain(webhooks::WEBHOOK_EVENTS.iter().map(|f| f.to_string()))
        .chain(super::sweeps::SWEEP_EVENTS.iter().map(|f| f.to_string()))
        .collect();
    covered.sort();
    assert_eq!(files, covered);
}

#[tokio::test]
async fn each_event_makes_exactly_the_expected_call_and_answers() {
    for (file, wire, check) in cases() {
        let server = stand_in().await;
        let app = live_app(&server).await;
        let response = app
            .handle(event(load_event(file)))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        check(&response);

        let all = requests(&server).await;
        // A SUCCESSFUL scan's findings: the one supporting call, narrowed
        // to the project.
        let findings: Vec<_> = all
            .iter()
            .filter(|r| r.url.path() == FINDINGS_PATH)
            .collect();
        for f in &findings {
            let body = json_of(f);
            assert_eq!(body["aggregationType"], "CODE_REPOSITORY", "{file}");
            assert_eq!(
                body["aggregationRequest"]["codeRepositoryAggregation"]["resourceIds"],
                serde_json::json!([{"comparison": "EQUALS", "value": PROJECT}]),
                "{file}"
            );
        }
        // No bundled event reads findings: GET /scans/{projectId}/{scanId}
        // answers the status only (the findings route: trust::gate).
        assert_eq!(findings.len(), 0, "{file}");
        let reqs: Vec<_> = all
            .into_iter()
            .filter(|r| r.url.path() != FINDINGS_PATH)
            .collect();
        assert_eq!(
            reqs.len(),
            1,
            "{file}: expected one call, got {}",
            reqs.len()
        );
        let req = &reqs[0];
        assert_eq!(req.method.as_str(), "POST", "{file}");
        assert_eq!(req.url.path(), wire.path, "{file}");
        assert_eq!(req_header(req, "x-amz-target"), wire.target, "{file}");
        assert_eq!(json_of(req), wire.body, "{file}");
        let content_type = req_header(req, "content-type").unwrap_or_default();
        if wire.target.is_some() {
            assert_eq!(content_type, "application/x-amz-json-1.1", "{file}");
        } else {
            assert_eq!(content_type, "application/json", "{file}");
        }
        let auth = req_header(req, "authorization").unwrap_or_default();
        let service = if wire.target.is_some() {
            "inspector"
        } else {
            "inspector2"
        };
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                && auth.contains(&format!("/us-east-1/{service}/aws4_request")),
            "{file}: signed for {service}: {auth}"
        );
    }
}

#[tokio::test]
async fn dry_run_plans_the_same_call_for_each_event_without_calling_aws() {
    let app = dry_app();
    for (file, wire, _) in cases() {
        let response = app
            .handle(event(load_event(file)))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let plan = if response.get("statusCode").is_some() {
            assert_eq!(response["statusCode"], 200, "{file}");
            http_body(&response)
        } else {
            response["result"].clone()
        };
        assert_eq!(plan["dryRun"], true, "{file}");
        let calls = plan["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 1, "{file}");
        assert_eq!(calls[0]["input"], wire.body, "{file}");
        let service = if wire.target.is_some() {
            "inspector"
        } else {
            "inspector2"
        };
        assert_eq!(calls[0]["service"], service, "{file}");
    }
}
