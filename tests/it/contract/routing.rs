//! Decoding and routing, tested without the runtime or the SDK (moved from
//! the unit tests: `ingress`'s public behaviour).

use inspector_scan_router::config::{Limits, Trust};
use inspector_scan_router::domain::keys::{derive_token, scoped_base};
use inspector_scan_router::domain::{Action, Error, GetScan, Operation, ScanTarget, StartScan};
use inspector_scan_router::ingress::answer::ErrorAnswer;
use inspector_scan_router::ingress::eventbridge::EventBridgeEvent;
use inspector_scan_router::ingress::http::{HttpFlavor, HttpRequest};
use inspector_scan_router::ingress::{Invocation, Trigger, decode};
use serde_json::{Map, Value, json};

/// The router with the default trust, in account 123456789012 (the
/// bundled events' account).
fn route(t: &Trigger, cfg: &Limits, request_id: &str) -> Result<Action, Error> {
    inspector_scan_router::ingress::route(
        t,
        cfg,
        &Trust::default(),
        Invocation {
            request_id,
            own_account: Some("123456789012"),
        },
    )
}

fn v2(method: &str, raw_path: &str, stage: &str, body: Option<&str>, b64: bool) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {"Content-Type": "application/json", "Idempotency-Key": "k1"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "x", "domainPrefix": "x",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                     "sourceIp": "1.2.3.4", "userAgent": "curl"},
            "requestId": "r", "routeKey": "$default", "stage": stage,
            "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390u64
        },
        "body": body,
        "isBase64Encoded": b64
    })
}

fn http(payload: Value) -> HttpRequest {
    match decode(payload).unwrap() {
        Trigger::Http(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn v2_strips_named_stage_and_decodes_base64() {
    let r = http(v2(
        "POST",
        "/prod/scans",
        "prod",
        Some("eyJhIjoxfQ=="),
        true,
    ));
    assert_eq!((r.path.as_str(), r.base_path.as_str()), ("/scans", "/prod"));
    assert_eq!(r.json_body::<Value>(1024, 1000).unwrap(), json!({"a": 1}));
    assert_eq!(r.header("idempotency-key"), Some("k1"));
}

#[test]
fn v2_default_stage_keeps_path() {
    let r = http(v2("GET", "/scans", "$default", None, false));
    assert_eq!((r.path.as_str(), r.base_path.as_str()), ("/scans", ""));
}

#[test]
fn bad_base64_and_oversize_bodies() {
    let r = http(v2("POST", "/scans", "$default", Some("!!!"), true));
    assert_eq!(
        r.json_body::<Value>(1024, 1000).unwrap_err().code(),
        "MalformedRequest"
    );
    let big = "a".repeat(2000);
    let r = http(v2("POST", "/scans", "$default", Some(&big), false));
    assert_eq!(
        r.json_body::<Value>(1024, 1000).unwrap_err().http_status(),
        413
    );
    let r = http(v2(
        "POST",
        "/scans",
        "$default",
        Some(&"QUFB".repeat(400)),
        true,
    ));
    assert_eq!(
        r.json_body::<Value>(1024, 1000).unwrap_err().http_status(),
        413
    );
}

#[test]
fn eventbridge_and_direct() {
    let t = decode(
        json!({"id": "1", "source": "ci", "detail-type": "StartCodeSecurityScan", "detail": {}}),
    )
    .unwrap();
    assert_eq!(t.kind(), "eventbridge");
    let t = decode(json!({"action": "StartAssessmentRun", "assessmentTemplateArn": "a"})).unwrap();
    let Trigger::Direct { action, fields } = t else {
        panic!()
    };
    assert_eq!(action, "StartAssessmentRun");
    assert!(fields.contains_key("assessmentTemplateArn") && !fields.contains_key("action"));
}

#[test]
fn anything_else_is_unsupported_and_names_what_was_expected() {
    for payload in [
        json!(null),
        json!([1]),
        json!("s"),
        json!({"foo": 1}),
        json!({"action": 3}),
    ] {
        let e = decode(payload.clone()).unwrap_err();
        assert_eq!(e.http_status(), 400, "{payload}");
    }
    let e = decode(json!({"foo": 1})).unwrap_err();
    assert!(e.to_string().contains("direct invocation"), "{e}");
}

#[test]
fn json_body_errors() {
    let mut r = HttpRequest {
        flavor: HttpFlavor::V2,
        method: "POST".into(),
        path: "/scans".into(),
        base_path: String::new(),
        headers: vec![],
        body: Some("//4=".into()),
        is_base64_encoded: true,
        who: Default::default(),
        function_url: false,
    };
    assert!(
        r.json_body::<Value>(99, 1000)
            .unwrap_err()
            .to_string()
            .contains("UTF-8")
    );
    r.is_base64_encoded = false;
    r.body = Some("{not json".into());
    assert!(
        r.json_body::<Value>(99, 1000)
            .unwrap_err()
            .to_string()
            .contains("not valid JSON")
    );
    r.body = Some("[1]".into());
    assert!(
        r.json_body::<Value>(99, 1000)
            .unwrap_err()
            .to_string()
            .contains("JSON object")
    );
    r.body = None;
    assert!(r.json_body::<Value>(99, 1000).is_err());
}

const PROJECT: &str = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
fn cfg() -> Limits {
    Limits {
        max_batch_items: 100,
        max_body_bytes: 4096,
        assessment_template_arns: vec![],
    }
}

fn http_trigger(
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Trigger {
    Trigger::Http(HttpRequest {
        flavor: HttpFlavor::V2,
        method: method.into(),
        path: path.into(),
        base_path: String::new(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.map(|b| b.to_string()),
        is_base64_encoded: false,
        who: Default::default(),
        function_url: false,
    })
}

#[test]
fn post_scans_derives_the_client_token_from_the_callers_key() {
    let t = http_trigger(
        "POST",
        "/scans/",
        Some(json!({"projectId": PROJECT})),
        &[("idempotency-key", "abc-1")],
    );
    // Anonymous caller: the key is still namespaced, never sent as is.
    let token = derive_token(&scoped_base("http:", "abc-1"), PROJECT);
    assert_eq!(
        route(&t, &cfg(), "req-1").unwrap(),
        Action::StartCodeSecurityScan(StartScan {
            target: ScanTarget::ProjectId(PROJECT.into()),
            client_token: Some(token.clone())
        })
    );
    // The same key in the body (clientToken) is the same key.
    let t = http_trigger(
        "POST",
        "/scans",
        Some(json!({"projectId": PROJECT, "clientToken": "abc-1"})),
        &[],
    );
    let Action::StartCodeSecurityScan(s) = route(&t, &cfg(), "req-1").unwrap() else {
        panic!()
    };
    assert_eq!(s.client_token, Some(token));
    let t = http_trigger(
        "POST",
        "/scans",
        Some(json!({"projectId": PROJECT, "clientToken": "other"})),
        &[("idempotency-key", "abc-1")],
    );
    // Beside the header, a different clientToken is taken and wins.
    let Action::StartCodeSecurityScan(s) = route(&t, &cfg(), "req-1").unwrap() else {
        panic!()
    };
    let other = derive_token(&scoped_base("http:", "other"), PROJECT);
    assert_eq!(s.client_token, Some(other));
}

#[test]
fn get_scan_decodes_and_validates_path_parameters() {
    const SCAN: &str = "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3";
    let t = http_trigger("GET", &format!("/scans/{PROJECT}/{SCAN}"), None, &[]);
    assert_eq!(
        route(&t, &cfg(), "req-1").unwrap(),
        Action::GetCodeSecurityScan(GetScan {
            project_id: PROJECT.into(),
            scan_id: SCAN.into()
        })
    );
    for bad in [
        "/scans/..%2F..%2Fetc/x",
        "/scans/%2e%2e/x",
        "/scans/%ff/x",
        &format!("/scans/{PROJECT}/a%2Fb"),
        // Not Inspector's scan id (a lowercase UUID): refused before any call.
        &format!("/scans/{PROJECT}/scan-1"),
        &format!("/scans/{PROJECT}/{}", SCAN.to_uppercase()),
    ] {
        let e = route(&http_trigger("GET", bad, None, &[]), &cfg(), "req-1").unwrap_err();
        assert_eq!(e.http_status(), 400, "{bad}");
    }
}

#[test]
fn unknown_paths_and_wrong_methods() {
    let e = route(&http_trigger("POST", "/nope", None, &[]), &cfg(), "req-1").unwrap_err();
    assert_eq!(e.http_status(), 404);
    let e = route(
        &http_trigger("DELETE", "/scans", None, &[]),
        &cfg(),
        "req-1",
    )
    .unwrap_err();
    assert_eq!(
        e,
        Error::MethodNotAllowed {
            method: "DELETE".into(),
            allow: vec!["POST"]
        }
    );
    let e = route(
        &http_trigger("POST", &format!("/scans/{PROJECT}/s"), None, &[]),
        &cfg(),
        "req-1",
    )
    .unwrap_err();
    assert_eq!(e.http_status(), 405);
}

#[test]
fn eventbridge_routes_by_detail_type_and_prefixes_fields() {
    let ev = |dt: &str, detail: Value| {
        Trigger::EventBridge(EventBridgeEvent {
            id: "id".into(),
            source: "com.example.ci".into(),
            account: "123456789012".into(),
            detail_type: dt.into(),
            time: None,
            detail,
        })
    };
    let a = route(
        &ev(
            "StartCodeSecurityScan",
            json!({"resource": {"projectId": PROJECT}}),
        ),
        &cfg(),
        "req-1",
    )
    .unwrap();
    assert_eq!(a.operation(), Operation::StartCodeSecurityScan);
    let e = route(
        &ev("StartCodeSecurityScan", json!({"resource": {}})),
        &cfg(),
        "req-1",
    )
    .unwrap_err();
    assert_eq!(e.fields()[0].field, "detail.resource.projectId");
    let e = route(&ev("GetCodeSecurityScan", json!({})), &cfg(), "req-1").unwrap_err();
    assert_eq!(e.code(), "UnsupportedEvent");
    let e = route(&ev("Something Else", json!({})), &cfg(), "req-1").unwrap_err();
    assert!(e.to_string().contains("Something Else"));
}

#[test]
fn direct_names_unknown_actions() {
    let e = route(
        &Trigger::Direct {
            action: "StartScan".into(),
            fields: Map::new(),
        },
        &cfg(),
        "req-1",
    )
    .unwrap_err();
    assert_eq!(e.fields()[0].field, "action");
}

#[test]
fn a_repeated_or_joined_idempotency_key_header_is_refused() {
    for headers in [
        &[("idempotency-key", "k1,k2")][..],
        &[("idempotency-key", "k1"), ("Idempotency-Key", "k2")][..],
        &[("idempotency-key", "")][..],
    ] {
        let t = http_trigger(
            "POST",
            "/scans",
            Some(json!({"projectId": PROJECT})),
            headers,
        );
        let e = route(&t, &cfg(), "req-1").unwrap_err();
        assert_eq!(e.fields()[0].field, "Idempotency-Key", "{headers:?}");
        assert_eq!(e.http_status(), 400);
    }
}

#[test]
fn idempotency_key_is_accepted_on_every_operation_and_checked() {
    let direct = |fields: Value| Trigger::Direct {
        action: "StartCodeSecurityScan".into(),
        fields: fields.as_object().unwrap().clone(),
    };
    let keyed = |key: &str| {
        let Action::StartCodeSecurityScans(s) = route(
            &direct(json!({"projectIds": [PROJECT], "idempotencyKey": key})),
            &cfg(),
            "req-1",
        )
        .unwrap() else {
            panic!()
        };
        s[0].client_token.clone().unwrap()
    };
    // Same key, another request id: the same token.
    assert_eq!(keyed("run-1"), keyed("run-1"));
    assert_ne!(keyed("run-1"), keyed("run-2"));
    for bad in [json!(""), json!(5), json!("x".repeat(1025)), json!("a\nb")] {
        let e = route(
            &direct(json!({"projectIds": [PROJECT], "idempotencyKey": bad})),
            &cfg(),
            "req-1",
        )
        .unwrap_err();
        assert_eq!(e.fields()[0].field, "idempotencyKey", "{bad}");
    }
}

#[test]
fn run_names_with_wildcards_are_refused() {
    for name in ["*", "nightly-?", "a*b"] {
        let t = Trigger::Direct {
            action: "StartAssessmentRun".into(),
            fields: json!({"assessmentTemplateArn": "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b",
                           "assessmentRunName": name})
            .as_object()
            .unwrap()
            .clone(),
        };
        let e = route(&t, &cfg(), "req-1").unwrap_err();
        assert_eq!(e.fields()[0].field, "assessmentRunName", "{name}");
    }
}

#[test]
fn a_body_of_too_many_values_is_refused_before_a_tree_is_built() {
    let values = vec!["0"; 5000].join(",");
    let r = http(v2(
        "POST",
        "/scans",
        "$default",
        Some(&format!("{{\"x\":[{values}]}}")),
        false,
    ));
    let e = r.json_body::<Value>(1 << 20, 1000).unwrap_err();
    assert!(e.to_string().contains("more than 1000 JSON values"), "{e}");
    assert!(r.json_body::<Value>(1 << 20, 6000).is_ok());
    let dup = http(v2(
        "POST",
        "/scans",
        "$default",
        Some("{\"a\":1,\"a\":2}"),
        false,
    ));
    assert!(
        dup.json_body::<Value>(1024, 100)
            .unwrap_err()
            .to_string()
            .contains("ambiguous")
    );
}

#[test]
fn a_body_and_an_event_word_a_shape_error_alike() {
    // A body is parsed from its text straight into the request shape, an
    // invocation's fields from their value: the same mistake is named the
    // same way, without the text's line and column.
    for body in [
        json!({"projectId": 5}),
        json!({"projectId": PROJECT, "colour": "red"}),
        json!({"projectIds": [PROJECT, null]}),
        json!({"projectId": PROJECT, "idempotencyKey": 7}),
    ] {
        let trigger = http_trigger("POST", "/scans", Some(body.clone()), &[]);
        let from_http = route(&trigger, &cfg(), "r").unwrap_err();
        let fields = body.as_object().unwrap().clone();
        let action = "StartCodeSecurityScan".into();
        let direct = Trigger::Direct { action, fields };
        let from_direct = route(&direct, &cfg(), "r").unwrap_err();
        assert_eq!(from_http.fields(), from_direct.fields(), "{body}");
        let message = &from_http.fields()[0].message;
        assert!(!message.contains(" at line "), "{message}");
    }
}
