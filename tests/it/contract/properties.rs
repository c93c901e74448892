//! Property tests: arbitrary JSON values, byte strings and headers as events,
//! bodies and headers never panic and always produce a structured answer.

use crate::common;

use base64::Engine;
use common::*;
use inspector_scan_router::domain::validate::{check_client_token, check_repository};
use inspector_scan_router::ingress::answer::ErrorAnswer;
use inspector_scan_router::ingress::decode;
use inspector_scan_router::ingress::wire::{StartScanInput, decode_input};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Arbitrary JSON, biased towards the keys the decoder looks at.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("action".to_string()),
        Just("detail-type".to_string()),
        Just("source".to_string()),
        Just("detail".to_string()),
        Just("version".to_string()),
        Just("requestContext".to_string()),
        Just("httpMethod".to_string()),
        Just("projectId".to_string()),
        Just("resource".to_string()),
        Just("disassociateConfigurationRequests".to_string()),
        Just("body".to_string()),
        ".{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("StartCodeSecurityScan")),
        Just(Value::from("2.0")),
        Just(Value::from(PROJECT)),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Check an answer is structured: an HTTP envelope, a summary, or an error
/// with a code and a JSON body.
fn assert_structured(r: &Result<Value, inspector_scan_router::Error>) {
    match r {
        Ok(v) => {
            if let Some(status) = v.get("statusCode") {
                let status = status.as_u64().unwrap();
                assert!((200..600).contains(&status));
                let body: Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
                if status >= 400 {
                    assert!(body["error"]["code"].is_string());
                }
            } else {
                assert!(v.get("result").is_some(), "{v}");
            }
        }
        Err(e) => {
            assert!(!e.code().is_empty());
            assert!(e.to_body()["error"]["message"].is_string());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_events_never_panic(payload in arb_json()) {
        let app = dry_app();
        let r = runtime().block_on(app.handle(event(payload)));
        assert_structured(&r);
    }

    #[test]
    fn arbitrary_direct_invocations_never_panic(fields in arb_json(), action in prop_oneof![
        Just("StartCodeSecurityScan"), Just("StartAssessmentRun"),
        Just("BatchDisassociateCodeSecurityScanConfiguration"), Just("GetCodeSecurityScan"), Just("Nope")]) {
        let mut payload = match fields { Value::Object(m) => Value::Object(m), other => json!({"x": other}) };
        payload["action"] = action.into();
        let r = runtime().block_on(dry_app().handle(event(payload)));
        assert_structured(&r);
    }

    #[test]
    fn arbitrary_eventbridge_details_never_panic(detail in arb_json(), dt in prop_oneof![
        Just("StartCodeSecurityScan".to_string()), Just("push".to_string()), Just("Scheduled Event".to_string()),
        Just("StartAssessmentRun".to_string()), ".{0,10}"]) {
        let payload = json!({"id": "1", "source": "github.com", "detail-type": dt, "time": "t", "detail": detail});
        let r = runtime().block_on(dry_app().handle(event(payload)));
        assert_structured(&r);
    }

    #[test]
    fn arbitrary_bodies_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048), b64 in any::<bool>(),
                                    path in prop_oneof![Just("/scans".to_string()), Just("/assessment-runs".to_string()),
                                                        Just("/scan-configurations/disassociate".to_string()), "/[a-z%./]{0,20}"]) {
        let mut e = load_event("http-start-scan.json");
        e["rawPath"] = format!("/prod{path}").into();
        e["body"] = if b64 {
            base64::engine::general_purpose::STANDARD.encode(&bytes).into()
        } else {
            String::from_utf8_lossy(&bytes).into_owned().into()
        };
        e["isBase64Encoded"] = b64.into();
        let r = runtime().block_on(dry_app().handle(event(e)));
        prop_assert!(r.is_ok(), "HTTP always answers over HTTP");
        assert_structured(&r);
    }

    #[test]
    fn arbitrary_headers_never_panic(headers in prop::collection::vec(("[a-zA-Z-]{1,20}", ".{0,80}"), 0..8)) {
        let mut e = load_event("http-start-scan.json");
        let map: Map<String, Value> = headers.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
        e["headers"] = Value::Object(map);
        let r = runtime().block_on(dry_app().handle(event(e)));
        assert_structured(&r);
    }

    #[test]
    fn validators_never_panic(s in ".{0,200}") {
        let _ = check_client_token("clientToken", &s);
        let _ = check_repository("repository", &s);
        let _ = decode(json!({"action": s.clone()}));
        if let Ok(input) = decode_input::<StartScanInput, _>(json!({"projectId": s.clone(), "clientToken": s})) {
            let _ = input.validate(10);
        }
    }
}
