//! One gate on every path: the same rules whichever way a request arrives.
//! Each case is refused, nothing reaches the Inspector stand-in, and the
//! refusal is logged with the trigger and the caller.

use crate::common;

use common::logs::Logs;
use common::queue::{QUEUE_ARN, failed_ids, sqs_event};
use common::*;
use inspector_scan_router::domain::keys::{derive_token, scoped_base};
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};

const OTHER_CONFIG: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/00000000-0000-4000-8000-000000000000";
const ROLE: &str = "arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session";

/// The operation switches the tests turn on unless `env` names them.
const SWITCHES: [&str; 3] = [
    "DISASSOCIATION_ENABLED",
    "CLASSIC_ENABLED",
    "DISASSOCIATION_COMMANDS_ENABLED",
];

fn settings(env: &[(&str, &str)]) -> Settings {
    let mut s = Settings::from_lookup(|k| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
            .or_else(|| SWITCHES.contains(&k).then(|| "true".to_string()))
    })
    .unwrap();
    s.trust.work_queue_arn = Some(QUEUE_ARN.into());
    s.limits.assessment_template_arns = vec![TEMPLATE_ARN.into()];
    s
}

async fn app_with(env: &[(&str, &str)]) -> (wiremock::MockServer, App) {
    let server = stand_in().await;
    let app = live_app_with(&server, settings(env), 1).await;
    (server, app)
}

/// The last line the gate logged.
fn gate_line(logs: &Logs) -> Value {
    logs.text()
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "gate")
        .expect("a gate line")
}

fn message(id: &str, body: Value) -> (String, String, u32) {
    (id.to_string(), body.to_string(), 1)
}

/// A REST API (payload 1.0) request for `path` with `body`, with no identity.
fn rest(path: &str, body: Value) -> Value {
    let mut e = load_event("rest-start-scan.json");
    let identity = e["requestContext"]["identity"].as_object_mut().unwrap();
    identity.retain(|k, _| !matches!(k.as_str(), "userArn" | "user" | "caller" | "accountId"));
    e["path"] = path.into();
    e["resource"] = path.into();
    e["requestContext"]["resourcePath"] = path.into();
    e["body"] = body.to_string().into();
    e
}

#[tokio::test(flavor = "current_thread")]
async fn a_queued_message_outside_the_allow_list_sends_nothing_and_is_not_retried() {
    let (logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[("ALLOWED_SCAN_CONFIGURATION_ARNS", CONFIG_ARN)]).await;
    let outside = direct_disassociate(1);
    let mut outside = outside;
    outside["disassociateConfigurationRequests"][0]["scanConfigurationArn"] = OTHER_CONFIG.into();
    let answer = app
        .handle(event(sqs_event(&[message("m-outside", outside)])))
        .await
        .unwrap();
    assert!(
        failed_ids(&answer).is_empty(),
        "deleted, not delivered again"
    );
    assert!(
        requests(&server).await.is_empty(),
        "nothing sent to Inspector"
    );
    let line = gate_line(&logs);
    assert_eq!(line["trigger"], "sqs");
    assert_eq!(line["message_id"], "m-outside");
    assert_eq!(line["error_code"], "Forbidden");
    assert_eq!(
        line["action"],
        "BatchDisassociateCodeSecurityScanConfiguration"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_batch_from_another_queue_runs_nothing() {
    let (logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[]).await;
    let mut batch = sqs_event(&[message("m-1", direct_disassociate(1))]);
    batch["Records"][0]["eventSourceARN"] =
        "arn:aws:sqs:us-east-1:123456789012:someone-elses".into();
    let e = app.handle(event(batch.clone())).await.unwrap_err();
    assert_eq!(e.code(), "Forbidden");
    assert!(!e.retryable());
    assert!(
        gate_line(&logs)["error"]
            .as_str()
            .unwrap()
            .contains("someone-elses")
    );
    // Without an eventSourceARN (an SQS-shaped direct invocation): the same.
    batch["Records"][0]
        .as_object_mut()
        .unwrap()
        .remove("eventSourceARN");
    assert_eq!(
        app.handle(event(batch)).await.unwrap_err().code(),
        "Forbidden"
    );
    assert!(requests(&server).await.is_empty(), "nothing was called");
    // From the own queue: run.
    let batch = sqs_event(&[message("m-1", direct_disassociate(1))]);
    app.handle(event(batch)).await.unwrap();
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_rest_request_carries_its_iam_identity() {
    let (logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[("HTTP_AUTH", "IAM")]).await;
    let body = json!({"resource": {"projectId": PROJECT}});
    // Without an identity: 401, nothing called.
    let answer = app
        .handle(event(rest("/scans", body.clone())))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert_eq!(http_body(&answer)["error"]["code"], "Unauthenticated");
    assert!(requests(&server).await.is_empty());
    assert_eq!(gate_line(&logs)["trigger"], "http");

    // With one: attributed, and its key namespaced by it.
    let mut e = rest("/scans", body);
    e["requestContext"]["identity"]["userArn"] = ROLE.into();
    let answer = app.handle(event(e)).await.unwrap();
    assert_eq!(answer["statusCode"], 202, "{answer}");
    assert_eq!(logs.invocation()["caller"], format!("iam:{ROLE}"));
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 1);
    let token = derive_token(
        &scoped_base(&format!("http:iam:{ROLE}"), "rest-0001"),
        PROJECT,
    );
    assert_eq!(json_of(&reqs[0])["clientToken"], token);
}

#[tokio::test(flavor = "current_thread")]
async fn a_rest_lambda_authorizer_principal_is_attributed() {
    let (logs, _turn) = Logs::capture().await;
    // A Lambda authorizer authenticates: HTTP_AUTH=NONE, said explicitly.
    let (server, app) = app_with(&[("HTTP_AUTH", "NONE")]).await;
    let mut e = rest("/scans", json!({"resource": {"projectId": PROJECT}}));
    e["requestContext"]["authorizer"] = json!({"principalId": "team-a", "integrationLatency": 3});
    let answer = app.handle(event(e)).await.unwrap();
    assert_eq!(answer["statusCode"], 202, "{answer}");
    assert_eq!(logs.invocation()["caller"], "authorizer:team-a");
    let token = derive_token(&scoped_base("http:authorizer:team-a", "rest-0001"), PROJECT);
    assert_eq!(json_of(&requests(&server).await[0])["clientToken"], token);
}

#[tokio::test(flavor = "current_thread")]
async fn a_rest_jwt_without_the_routes_scope_is_forbidden() {
    let (logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[("HTTP_AUTH", "JWT"), ("JWT_SCOPE_PREFIX", "isr/")]).await;
    let cognito = |scope: &str| {
        let mut e = rest("/scans", json!({"resource": {"projectId": PROJECT}}));
        e["requestContext"]["authorizer"] = json!({"claims": {
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
            "sub": "ci-bot", "scope": scope}});
        e
    };
    let answer = app.handle(event(cognito("isr/scans.read"))).await.unwrap();
    assert_eq!(answer["statusCode"], 403, "{answer}");
    assert!(requests(&server).await.is_empty());
    let line = gate_line(&logs);
    assert_eq!(line["trigger"], "http");
    assert!(line["caller"].as_str().unwrap().ends_with(" ci-bot"));
    let answer = app.handle(event(cognito("isr/scans.start"))).await.unwrap();
    assert_eq!(answer["statusCode"], 202, "{answer}");
}

#[tokio::test(flavor = "current_thread")]
async fn an_open_function_url_serves_no_api_route() {
    let (_logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[("HTTP_AUTH", "NONE")]).await;
    let mut e = load_event("function-url-start-scan.json");
    e["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    // Even with no identity required, an open function URL is refused.
    let answer = app.handle(event(e.clone())).await.unwrap();
    assert_eq!(answer["statusCode"], 403, "{answer}");
    // With HTTP_AUTH unset (IAM), it is unauthenticated first.
    let (_, closed) = app_with(&[]).await;
    let answer = closed.handle(event(e)).await.unwrap();
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert!(requests(&server).await.is_empty());
    // With IAM auth (AuthType AWS_IAM) it may.
    let answer = app
        .handle(event(load_event("function-url-start-scan.json")))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 202, "{answer}");
}

/// Every trigger that can ask for `op`: HTTP v2, REST v1, EventBridge,
/// direct, and a work-queue message.
fn every_trigger(op: &str) -> Vec<(&'static str, Value)> {
    let (http, body) = match op {
        "disassociate" => ("http-disassociate.json", direct_disassociate(1)),
        _ => (
            "http-start-assessment-run.json",
            load_event("direct-start-assessment-run.json"),
        ),
    };
    let mut fields = body.clone();
    fields.as_object_mut().unwrap().remove("action");
    // The REST event sends an Idempotency-Key: no run name beside it.
    fields.as_object_mut().unwrap().remove("assessmentRunName");
    let path = load_event(http)["rawPath"]
        .as_str()
        .unwrap()
        .replace("/prod", "");
    let mut v1 = rest(&path, fields);
    v1["requestContext"]["identity"]["userArn"] = ROLE.into();
    let mut cases = vec![
        ("http-v2", load_event(http)),
        ("http-v1", v1),
        ("direct", body.clone()),
        ("sqs", sqs_event(&[message("m-1", body)])),
    ];
    match op {
        "disassociate" => cases.push(("eventbridge", load_event("eventbridge-disassociate.json"))),
        _ => {
            cases.push((
                "eventbridge",
                load_event("eventbridge-start-assessment-run.json"),
            ));
            cases.push(("schedule", load_event("scheduled-event.json")));
        }
    }
    cases
}

#[tokio::test(flavor = "current_thread")]
async fn switched_off_operations_are_refused_on_every_trigger() {
    let (logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[
        ("DISASSOCIATION_ENABLED", "false"),
        ("CLASSIC_ENABLED", "false"),
    ])
    .await;
    for (op, how) in [
        ("disassociate", "EnableDisassociation=true"),
        ("classic", "EnableClassic=true"),
    ] {
        for (trigger, payload) in every_trigger(op) {
            let answer = app.handle(event(payload)).await;
            match trigger {
                "http-v2" | "http-v1" => {
                    let answer = answer.unwrap();
                    assert_eq!(answer["statusCode"], 403, "{op} {trigger}: {answer}");
                    let message = http_body(&answer)["error"]["message"].clone();
                    assert!(message.as_str().unwrap().contains(how), "{message}");
                }
                "sqs" => {
                    let answer = answer.unwrap();
                    assert!(failed_ids(&answer).is_empty(), "{op}: not retried");
                }
                _ => {
                    let e = answer.unwrap_err();
                    assert_eq!(e.code(), "Forbidden", "{op} {trigger}");
                    assert!(!e.retryable());
                    assert!(e.to_string().contains(how), "{e}");
                }
            }
            assert_eq!(gate_line(&logs)["outcome"], "refused", "{op} {trigger}");
        }
    }
    assert!(requests(&server).await.is_empty(), "nothing was called");
    // Scans are not switched off.
    let answer = app
        .handle(event(load_event("direct-start-scan.json")))
        .await;
    assert!(answer.is_ok(), "{answer:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn eventbridge_disassociation_commands_are_an_opt_in() {
    let (_logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[("DISASSOCIATION_COMMANDS_ENABLED", "false")]).await;
    let e = app
        .handle(event(load_event("eventbridge-disassociate.json")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "Forbidden");
    assert!(requests(&server).await.is_empty());
    app.handle(event(load_event("direct-disassociate.json")))
        .await
        .unwrap();
    assert_eq!(requests(&server).await.len(), 1);
}

/// Nothing set: `HTTP_AUTH` unset is IAM and every operation switch is off.
/// A request without an identity is a 401; disassociation and Classic runs
/// are refused on every path (HTTP, direct, EventBridge, the work queue,
/// a schedule), and nothing reaches Inspector.
#[tokio::test(flavor = "current_thread")]
async fn with_nothing_set_the_function_is_closed_on_every_path() {
    let (_logs, _turn) = Logs::capture().await;
    let server = stand_in().await;
    let mut s = Settings::from_lookup(|_| None).unwrap();
    s.trust.work_queue_arn = Some(QUEUE_ARN.into());
    s.limits.assessment_template_arns = vec![TEMPLATE_ARN.into()];
    let app = live_app_with(&server, s, 1).await;

    let mut anonymous = load_event("http-start-scan.json");
    anonymous["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
    let answer = app.handle(event(anonymous)).await.unwrap();
    assert_eq!(answer["statusCode"], 401, "{answer}");
    assert_eq!(http_body(&answer)["error"]["code"], "Unauthenticated");

    for (file, switch) in [
        ("http-disassociate.json", "EnableDisassociation=true"),
        ("http-start-assessment-run.json", "EnableClassic=true"),
    ] {
        let answer = app.handle(event(load_event(file))).await.unwrap();
        assert_eq!(answer["statusCode"], 403, "{file}: {answer}");
        let message = http_body(&answer)["error"]["message"].to_string();
        assert!(message.contains(switch), "{file}: {message}");
    }
    for file in [
        "direct-disassociate.json",
        "direct-start-assessment-run.json",
        "eventbridge-disassociate.json",
        "eventbridge-start-assessment-run.json",
        "scheduled-event.json",
    ] {
        let e = app.handle(event(load_event(file))).await.unwrap_err();
        assert_eq!(e.code(), "Forbidden", "{file}: {e}");
    }
    let answer = app
        .handle(event(sqs_event(&[message(
            "m-off",
            direct_disassociate(1),
        )])))
        .await
        .unwrap();
    assert!(failed_ids(&answer).is_empty(), "refused for good: deleted");
    assert!(requests(&server).await.is_empty(), "nothing was called");
    // What is not switchable still runs: a scan, with an IAM identity.
    let answer = app
        .handle(event(load_event("http-start-scan.json")))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 202, "{answer}");
}

/// The findings have a route of their own: `GET .../findings` answers
/// the counts (and status), `GET /scans/{projectId}/{scanId}` only the
/// status; in JWT mode the findings need `findings.read`, which
/// `scans.read` does not give. No answer carries the account id.
#[tokio::test(flavor = "current_thread")]
async fn findings_need_their_own_route_and_scope() {
    let (_logs, _turn) = Logs::capture().await;
    let (server, app) = app_with(&[]).await;
    let findings_path = format!("/scans/{PROJECT}/{SCAN_ID}/findings");
    let get = |path: &str| {
        let mut e = load_event("http-get-scan.json");
        e["rawPath"] = format!("/prod{path}").into();
        e["requestContext"]["http"]["path"] = format!("/prod{path}").into();
        e
    };
    let answer = app.handle(event(get(&findings_path))).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(
        http_body(&answer),
        json!({"projectId": PROJECT, "scanId": SCAN_ID, "status": "SUCCESSFUL",
               "findings": {"critical": 1, "high": 2, "medium": 3, "all": 9}})
    );
    let status = app
        .handle(event(load_event("http-get-scan.json")))
        .await
        .unwrap();
    assert_eq!(status["statusCode"], 200, "{status}");
    let body = http_body(&status);
    assert!(
        body.get("findings").is_none() && body.get("accountId").is_none(),
        "{body}"
    );
    let calls = requests(&server).await;
    let paths: Vec<&str> = calls.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, [GET_SCAN_PATH, FINDINGS_PATH, GET_SCAN_PATH]);
    assert_eq!(
        json_of(&calls[1])["aggregationRequest"]["codeRepositoryAggregation"]["resourceIds"],
        json!([{"comparison": "EQUALS", "value": PROJECT}]),
        "narrowed to the project"
    );

    // JWT mode: scans.read reads the status, not the findings.
    let (server, app) = app_with(&[("HTTP_AUTH", "JWT"), ("JWT_SCOPE_PREFIX", "isr/")]).await;
    let jwt = |path: &str, scope: &str| {
        let mut e = get(path);
        e["requestContext"]["authorizer"] = json!({"jwt": {
            "claims": {"iss": "https://issuer.example.com", "sub": "reader", "scope": scope},
            "scopes": null}});
        e
    };
    let scan_path = format!("/scans/{PROJECT}/{SCAN_ID}");
    let answer = app
        .handle(event(jwt(&scan_path, "isr/scans.read")))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let answer = app
        .handle(event(jwt(&findings_path, "isr/scans.read")))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 403, "{answer}");
    assert!(
        http_body(&answer)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("isr/findings.read")
    );
    assert_eq!(requests(&server).await.len(), 1, "only the status was read");
    let answer = app
        .handle(event(jwt(&findings_path, "isr/findings.read")))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
}
