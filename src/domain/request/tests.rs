//! The wire shapes' decoding and validation.

use super::*;
use crate::domain::assessment_run::StartRunInput;
use serde_json::json;

const PROJECT: &str = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

fn fields(e: Error) -> Vec<String> {
    e.fields().iter().map(|f| f.field.clone()).collect()
}

#[test]
fn start_scan_accepts_both_shapes() {
    let a: StartScanInput = decode_input(json!({"resource": {"projectId": PROJECT}})).unwrap();
    assert_eq!(
        a.validate(10).unwrap().targets,
        [ScanTarget::ProjectId(PROJECT.into())]
    );
    let b: StartScanInput =
        decode_input(json!({"projectId": PROJECT, "clientToken": "abc"})).unwrap();
    let b = b.validate(10).unwrap();
    assert_eq!(b.client_token.as_deref(), Some("abc"));
    assert!(!b.fan_out);
}

#[test]
fn start_scan_names_bad_fields() {
    let e = decode_input::<StartScanInput, _>(
        json!({"projectId": "project-XYZ", "clientToken": "has space"}),
    )
    .unwrap()
    .validate(10)
    .unwrap_err();
    assert_eq!(fields(e), ["clientToken", "projectId"]);
    let e = decode_input::<StartScanInput, _>(json!({}))
        .unwrap()
        .validate(10)
        .unwrap_err();
    assert_eq!(fields(e), ["resource.projectId"]);
    let long = "x".repeat(65);
    let e = decode_input::<StartScanInput, _>(json!({"projectId": PROJECT, "clientToken": long}))
        .unwrap()
        .validate(10)
        .unwrap_err();
    assert_eq!(fields(e), ["clientToken"]);
}

#[test]
fn repositories_and_fan_out_lists() {
    let r = decode_input::<StartScanInput, _>(json!({"repository": "octo-org/payments-api"}))
        .unwrap()
        .validate(10)
        .unwrap();
    assert_eq!(
        r.targets,
        [ScanTarget::Repository("octo-org/payments-api".into())]
    );
    let r = decode_input::<StartScanInput, _>(json!({"repositories": ["a/b", "group/sub/c"]}))
        .unwrap()
        .validate(10)
        .unwrap();
    assert!(r.fan_out && r.targets.len() == 2);
    for bad in [
        json!({"repository": "../etc"}),
        json!({"repository": "a b"}),
        json!({"repositories": []}),
        json!({"projectIds": [PROJECT, PROJECT]}),
        json!({"projectIds": ["x"]}),
        json!({"repository": "a/b", "projectId": PROJECT}),
    ] {
        let e = decode_input::<StartScanInput, _>(bad.clone())
            .unwrap()
            .validate(10);
        assert!(e.is_err(), "{bad}");
    }
}

#[test]
fn unknown_and_mistyped_fields_are_named() {
    let e = decode_input::<StartScanInput, _>(json!({"projectID": PROJECT})).unwrap_err();
    assert_eq!(e.code(), "InvalidRequest");
    assert!(e.to_string().contains("projectID"), "{e}");
    let e = decode_input::<StartScanInput, _>(json!({"resource": {"projectId": 5}})).unwrap_err();
    assert_eq!(fields(e), ["resource.projectId"]);
}

#[test]
fn start_run_limits() {
    let ok: StartRunInput = decode_input(json!({
            "assessmentTemplateArn": "arn:aws:inspector:us-east-1:123456789012:target/0-abc/template/0-def",
            "assessmentRunName": "nightly"
        }))
        .unwrap();
    assert!(ok.validate().is_ok());
    let e = decode_input::<StartRunInput, _>(json!({
        "assessmentTemplateArn": "x".repeat(301),
        "assessmentRunName": ""
    }))
    .unwrap()
    .validate()
    .unwrap_err();
    assert_eq!(fields(e), ["assessmentTemplateArn", "assessmentRunName"]);
}
