//! Hand-made hostile input, one test each: every case gets a structured
//! error (or a correct answer), never a panic, never a call to AWS, never an
//! unescaped echo of what was sent. The app is live, its real SDK clients
//! aimed at a stand-in Inspector that counts calls: each case leaves it
//! uncalled (the one correct answer, a 10,000-item plan, is a dry run's).

use crate::common;

use base64::Engine;
use common::*;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};
use wiremock::MockServer;

/// A live app with `settings` and the stand-in its clients call.
async fn app_with(settings: Settings) -> (App, MockServer) {
    let server = stand_in().await;
    (live_app_with(&server, settings, 1).await, server)
}

async fn app() -> (App, MockServer) {
    app_with(crate::common::settings()).await
}

/// Asserts that nothing reached the stand-in.
async fn no_calls(server: &MockServer, case: &str) {
    let calls: Vec<String> = requests(server)
        .await
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert!(calls.is_empty(), "{case}: called AWS: {calls:?}");
}

fn dry_run() -> Settings {
    Settings {
        dry_run: true,
        ..crate::common::settings()
    }
}

/// Handle an HTTP event with a live app; return (status, parsed body),
/// checking the error shape, that the answer stays small whatever was
/// sent, and that no call reached AWS.
async fn answer(e: Value) -> (u64, Value) {
    answer_with(crate::common::settings(), e).await
}

async fn answer_with(settings: Settings, e: Value) -> (u64, Value) {
    let (app, server) = app_with(settings).await;
    let r = app
        .handle(event(e))
        .await
        .expect("HTTP events always get an HTTP answer");
    let status = r["statusCode"].as_u64().unwrap();
    let raw = r["body"].as_str().unwrap();
    no_calls(&server, &format!("answered {status}")).await;
    if status >= 400 {
        assert!(
            raw.len() < 8 * 1024,
            "error of {} bytes echoes too much",
            raw.len()
        );
    }
    assert!(
        !raw.chars().any(|c| c.is_control()),
        "control characters in the answer: {raw:?}"
    );
    let body: Value = serde_json::from_str(raw).unwrap();
    if status >= 400 {
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{body}"
        );
    }
    // The stand-in's drop blocks on tokio locks: give it a fresh
    // cooperative budget, or a test of many cases can spend it and hang.
    tokio::task::yield_now().await;
    (status, body)
}

fn field_names(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn invalid_json() {
    for body in [
        "{",
        "{\"projectId\": }",
        "nul",
        "\"just a string\"",
        "[]",
        "{\"a\":1} trailing",
    ] {
        let (status, b) = answer(http_event("POST", "/scans", Some(body), false)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(b["error"]["code"], "MalformedRequest", "{body}");
    }
}

#[tokio::test]
async fn invalid_base64() {
    for body in ["%%%%", "eyJ", "e30=e30="] {
        let (status, b) = answer(http_event("POST", "/scans", Some(body), true)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(b["error"]["code"], "MalformedRequest");
    }
}

#[tokio::test]
async fn invalid_utf8() {
    let body = base64::engine::general_purpose::STANDARD.encode(b"{\"projectId\": \"\xff\xfe\"}");
    let (status, b) = answer(http_event("POST", "/scans", Some(&body), true)).await;
    assert_eq!(status, 400);
    assert!(b["error"]["message"].as_str().unwrap().contains("UTF-8"));
}

#[tokio::test]
async fn wrong_types_in_every_field() {
    let wrong = [json!(5), json!(true), json!([]), json!({}), json!(1.5)];
    let shapes: [(&str, Value, &[&str]); 3] = [
        (
            "/scans",
            json!({"projectId": PROJECT, "clientToken": "t"}),
            &["projectId", "clientToken"],
        ),
        (
            "/assessment-runs",
            json!({"assessmentTemplateArn": TEMPLATE_ARN, "assessmentRunName": "n"}),
            &["assessmentTemplateArn", "assessmentRunName"],
        ),
        (
            "/scan-configurations/disassociate",
            json!({"disassociateConfigurationRequests": []}),
            &["disassociateConfigurationRequests"],
        ),
    ];
    for (path, base, fields) in shapes {
        for field in fields {
            for w in &wrong {
                if field.starts_with("disassociate") && w.is_array() {
                    continue; // an (empty) array is the right type
                }
                let mut body = base.clone();
                body[field] = w.clone();
                let (status, b) =
                    answer(http_event("POST", path, Some(&body.to_string()), false)).await;
                assert_eq!(status, 400, "{path} {body}");
                assert_eq!(field_names(&b), [field.to_string()], "{path} {body}: {b}");
            }
        }
    }
    // Nested fields too.
    let body = json!({"disassociateConfigurationRequests": [{"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": 7}}]});
    let (_, b) = answer(http_event(
        "POST",
        "/scan-configurations/disassociate",
        Some(&body.to_string()),
        false,
    ))
    .await;
    assert_eq!(
        field_names(&b),
        ["disassociateConfigurationRequests[0].resource.projectId"]
    );
}

#[tokio::test]
async fn nulls_in_every_field() {
    for (path, body, field) in [
        ("/scans", json!({"projectId": null}), "projectId"),
        (
            "/scans",
            json!({"projectId": PROJECT, "clientToken": null}),
            "clientToken",
        ),
        ("/scans", json!({"resource": null}), "resource"),
        (
            "/scans",
            json!({"resource": {"projectId": null}}),
            "resource.projectId",
        ),
        (
            "/assessment-runs",
            json!({"assessmentTemplateArn": null}),
            "assessmentTemplateArn",
        ),
        (
            "/assessment-runs",
            json!({"assessmentTemplateArn": TEMPLATE_ARN, "assessmentRunName": null}),
            "assessmentRunName",
        ),
        (
            "/scan-configurations/disassociate",
            json!({"disassociateConfigurationRequests": null}),
            "disassociateConfigurationRequests",
        ),
        (
            "/scan-configurations/disassociate",
            json!({"disassociateConfigurationRequests": [null]}),
            "disassociateConfigurationRequests[0]",
        ),
    ] {
        let (status, b) = answer(http_event("POST", path, Some(&body.to_string()), false)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(field_names(&b), [field], "{body}: {b}");
    }
}

#[tokio::test]
async fn deep_nesting() {
    let deep = format!(
        "{{\"projectId\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (status, b) = answer(http_event("POST", "/scans", Some(&deep), false)).await;
    assert_eq!(status, 400);
    assert_eq!(b["error"]["code"], "MalformedRequest");
}

#[tokio::test]
async fn multi_megabyte_strings() {
    let big = "A".repeat(5 * 1024 * 1024 / 2);
    let body = json!({"projectId": big}).to_string();
    let (status, b) = answer(http_event("POST", "/scans", Some(&body), false)).await;
    assert_eq!(status, 400);
    assert!(
        b["error"]["message"].as_str().unwrap().len() < 1024,
        "the value is cut, not echoed"
    );
    // Over the body limit: 413 before anything is parsed.
    let huge = json!({"projectId": "A".repeat(5 * 1024 * 1024)}).to_string();
    let (status, _) = answer(http_event("POST", "/scans", Some(&huge), false)).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn ten_thousand_item_batches() {
    let items: Vec<Value> = (0..10_000)
        .map(|i| json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": format!("project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}")}}))
        .collect();
    let body = json!({"disassociateConfigurationRequests": items}).to_string();
    let (status, b) = answer_with(
        dry_run(),
        http_event(
            "POST",
            "/scan-configurations/disassociate",
            Some(&body),
            false,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(b["calls"].as_array().unwrap().len(), 400);

    let mut more = items.clone();
    more.push(json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": PROJECT}}));
    let direct = json!({"action": "BatchDisassociateCodeSecurityScanConfiguration", "disassociateConfigurationRequests": more});
    let (app, server) = app().await;
    let err = app.handle(event(direct)).await.unwrap_err();
    assert_eq!(err.fields()[0].field, "disassociateConfigurationRequests");
    no_calls(&server, "10,001 items").await;
}

#[tokio::test]
async fn unknown_fields_are_named() {
    for (path, body, field) in [
        ("/scans", json!({"projectID": PROJECT}), "projectID"),
        (
            "/scans",
            json!({"resource": {"projectId": PROJECT, "extra": 1}}),
            "extra",
        ),
        (
            "/assessment-runs",
            json!({"assessmentTemplateArn": TEMPLATE_ARN, "name": "x"}),
            "name",
        ),
    ] {
        let (status, b) = answer(http_event("POST", path, Some(&body.to_string()), false)).await;
        assert_eq!(status, 400);
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("`{field}`")),
            "{b}"
        );
    }
    // In a direct invocation too.
    let (app, server) = app().await;
    let err = app
        .handle(event(
            json!({"action": "StartCodeSecurityScan", "projectID": PROJECT}),
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("projectID"));
    no_calls(&server, "a direct invocation with an unknown field").await;
}

#[tokio::test]
async fn control_characters_and_lookalike_unicode() {
    let cyrillic_e = PROJECT.replacen('e', "\u{0435}", 1);
    let fullwidth = PROJECT.replacen('0', "\u{FF10}", 1);
    for (body, field) in [
        (json!({"projectId": format!("{PROJECT}\n")}), "projectId"),
        (json!({"projectId": cyrillic_e}), "projectId"),
        (json!({"projectId": fullwidth}), "projectId"),
        (
            json!({"projectId": PROJECT, "clientToken": "tok\u{0000}en"}),
            "clientToken",
        ),
        (
            json!({"projectId": PROJECT, "clientToken": "tok\u{202E}en"}),
            "clientToken",
        ),
        (
            json!({"repository": "octo-org/pay\u{202E}ments"}),
            "repository",
        ),
        (
            json!({"repository": "octo-org/p\u{0430}yments"}),
            "repository",
        ),
    ] {
        let (status, b) =
            answer(http_event("POST", "/scans", Some(&body.to_string()), false)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(field_names(&b), [field], "{body}");
    }
    let (_, b) = answer(http_event(
        "POST",
        "/assessment-runs",
        Some(&json!({"assessmentTemplateArn": "arn:\u{0007}"}).to_string()),
        false,
    ))
    .await;
    assert_eq!(field_names(&b), ["assessmentTemplateArn"]);
}

#[tokio::test]
async fn path_traversal_and_encoded_slashes() {
    for path in [
        format!("/scans/{PROJECT}/..%2F..%2Fadmin"),
        format!("/scans/{PROJECT}/%2e%2e"),
        format!("/scans/..%2F{PROJECT}/scan"),
        "/scans/%00/x".to_string(),
        "/scans/%zz/x".to_string(),
    ] {
        let (status, _) = answer(http_event("GET", &path, None, false)).await;
        assert_eq!(status, 400, "{path}");
    }
    // `..` as a path parameter is a bad project id, not a way elsewhere.
    let (status, _) = answer(http_event("GET", "/scans/../scans", None, false)).await;
    assert_eq!(status, 400);
    for path in [
        "/scans/a/b/c",
        "/%2e%2e/scans",
        "//scans",
        "/scans/../../etc/passwd",
    ] {
        let (status, _) = answer(http_event("GET", path, None, false)).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn duplicate_json_keys() {
    let body = format!(
        "{{\"projectId\": \"{PROJECT}\", \"projectId\": \"project-ffffffff-ffff-ffff-ffff-ffffffffffff\"}}"
    );
    let (status, b) = answer(http_event("POST", "/scans", Some(&body), false)).await;
    assert_eq!(status, 400);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("duplicate key"),
        "{b}"
    );
    let nested =
        format!("{{\"resource\": {{\"projectId\": \"{PROJECT}\", \"projectId\": \"{PROJECT}\"}}}}");
    let (status, _) = answer(http_event("POST", "/scans", Some(&nested), false)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn markup_is_never_echoed_raw() {
    let body = json!({"projectId": "<script>alert(1)</script>\u{1b}[31m"}).to_string();
    let (status, b) = answer(http_event("POST", "/scans", Some(&body), false)).await;
    assert_eq!(status, 400);
    let msg = b["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(!msg.contains('\u{1b}'), "{msg}");
    let (app, server) = app().await;
    let r = app
        .handle(event(http_event("POST", "/scans", Some(&body), false)))
        .await
        .unwrap();
    assert_eq!(resp_header(&r, "content-type"), Some("application/json"));
    no_calls(&server, "markup").await;
}

#[tokio::test]
async fn settings_do_not_matter_to_rejection() {
    // A tight body limit still answers structurally.
    let mut settings = crate::common::settings();
    settings.limits.max_body_bytes = 1024;
    let (status, _) = answer_with(
        settings,
        http_event("POST", "/scans", Some(&"x".repeat(5000)), false),
    )
    .await;
    assert_eq!(status, 413);
}
