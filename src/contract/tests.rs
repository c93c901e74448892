use super::answers::AWS_CODES;
use super::schemas::{
    CLIENT_TOKEN_PATTERN, idempotency_key_pattern, run_name_pattern, template_arn_pattern,
    text_pattern,
};
use crate::domain::validate::{check_client_token, check_idempotency_key, check_len};
use crate::domain::{AwsError, AwsErrorKind, Error, FanOutItem, FieldError, Outcome, ScanStarted};
use crate::ingress::answer::OutcomeAnswer;
use crate::inspector::kind_for;
use regex::Regex;
use serde_json::Value;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

/// `scripts/openapi` runs this with OPENAPI_WRITE=1 to write the document;
/// otherwise it fails when the committed document is not the code's.
#[test]
fn openapi_json_is_what_the_code_serves() {
    let text = super::text();
    if std::env::var_os("OPENAPI_WRITE").is_some() {
        std::fs::write(FILE, &text).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        committed == text,
        "openapi.json differs from the code's contract: run scripts/openapi and commit the result"
    );
}

#[test]
fn aws_codes_have_the_kinds_the_adapter_gives_them() {
    for (code, kind) in AWS_CODES {
        assert_eq!(kind_for(code, 500), kind, "{code}");
    }
}

/// The patterns the document states for checks the code makes without a
/// regex agree with those checks. (The crate's regex has no Unicode
/// classes, so the `\uXXXX` escapes are spelled out as characters.)
fn regex(pattern: &str) -> Regex {
    let spelled = pattern
        .replace(r"\u0000", "\\x00")
        .replace(r"\u001f", "\\x1f")
        .replace(r"\u007f", "\\x7f")
        .replace(r"\u009f", "\\x{9f}");
    regex::RegexBuilder::new(&spelled)
        .unicode(true)
        .build()
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

#[test]
fn stated_patterns_agree_with_the_checks() {
    let samples = [
        "",
        "a",
        " ",
        "a b",
        "tok-1",
        "*",
        "?",
        "a*b",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "é",
        "a\nb",
        "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b",
        "arn:",
        "arn",
        ",",
        "a,b",
    ];
    let long = |n| "x".repeat(n);
    let mut values: Vec<String> = samples.iter().map(|s| s.to_string()).collect();
    for n in [63, 64, 65, 139, 140, 141, 296, 300, 301, 1024, 1025] {
        values.push(long(n));
        values.push(format!("arn:{}", long(n - 4)));
    }
    let token = regex(CLIENT_TOKEN_PATTERN);
    let key = regex(&idempotency_key_pattern());
    let arn = regex(&template_arn_pattern());
    let run = regex(&run_name_pattern());
    let (prefix, page) = (regex(&text_pattern(300)), regex(&text_pattern(4096)));
    for n in [299, 300, 301, 4095, 4096, 4097] {
        values.push(long(n));
    }
    for v in &values {
        assert_eq!(
            token.is_match(v),
            check_client_token("f", v).is_ok(),
            "{v:?}"
        );
        assert_eq!(
            key.is_match(v),
            check_idempotency_key("f", v).is_ok(),
            "{v:?}"
        );
        let mut errors: Vec<FieldError> = Vec::new();
        let arn_ok = check_len("f", v, 300, &mut errors) && v.starts_with("arn:");
        assert_eq!(arn.is_match(v), arn_ok, "{v:?}");
        let run_ok = check_len("f", v, 140, &mut errors) && !v.contains(['*', '?']);
        assert_eq!(run.is_match(v), run_ok, "{v:?}");
        // A selector's projectNamePrefix, a sweep's nextToken.
        assert_eq!(
            prefix.is_match(v),
            check_len("f", v, 300, &mut errors),
            "{v:?}"
        );
        assert_eq!(
            page.is_match(v),
            check_len("f", v, 4096, &mut errors),
            "{v:?}"
        );
    }
}

/// Does `value` have the shape `schema` (in `doc`) describes: `$ref`,
/// `anyOf`, `allOf`, `oneOf`, `not`, `const`, `enum`, `type`, `required`,
/// `properties`, `additionalProperties: false` and `items` (what the
/// document's answer schemas and the requests' combinations of fields use;
/// patterns and bounds are checked above).
fn conforms(value: &Value, schema: &Value, doc: &Value) -> bool {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = doc.pointer(r.trim_start_matches('#')).expect(r);
        return conforms(value, target, doc);
    }
    let array = |k: &str| schema.get(k).and_then(Value::as_array);
    if array("anyOf").is_some_and(|any| !any.iter().any(|s| conforms(value, s, doc)))
        || array("allOf").is_some_and(|all| !all.iter().all(|s| conforms(value, s, doc)))
        || array("oneOf")
            .is_some_and(|one| one.iter().filter(|s| conforms(value, s, doc)).count() != 1)
        // (A `not` of a pattern is a pattern's business: left out, like them.)
        || schema
            .get("not")
            .is_some_and(|n| n.get("pattern").is_none() && conforms(value, n, doc))
        || array("enum").is_some_and(|e| !e.contains(value))
        || schema.get("const").is_some_and(|c| c != value)
    {
        return false;
    }
    let is = |t: &Value| match t.as_str() {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_u64() || value.is_i64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("null") => value.is_null(),
        _ => panic!("type {t}"),
    };
    match schema.get("type") {
        Some(Value::Array(types)) if !types.iter().any(is) => return false,
        Some(t @ Value::String(_)) if !is(t) => return false,
        _ => {}
    }
    if let Value::Object(map) = value {
        let required = array("required").into_iter().flatten();
        if required
            .filter_map(Value::as_str)
            .any(|k| !map.contains_key(k))
        {
            return false;
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (k, v) in map {
            match schema.get("properties").and_then(|p| p.get(k)) {
                Some(s) if !conforms(v, s, doc) => return false,
                None if closed => return false,
                _ => {}
            }
        }
    }
    match (value, schema.get("items")) {
        (Value::Array(items), Some(s)) => items.iter().all(|i| conforms(i, s, doc)),
        _ => true,
    }
}

/// A fan-out's `207`: each item is a started scan or its target's error
/// body with the target beside it (`{"repository", "error"}`), every key
/// of which the document describes (it once did not: the item's schema
/// was an allOf of ErrorBody, whose additionalProperties refused the
/// target's key).
#[test]
fn a_fan_outs_207_items_are_described() {
    let doc = super::document();
    let scans = |key: &'static str| {
        let value = |i: u8| match key {
            "repository" => format!("octo/api-{i}"),
            _ => format!("project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c{i:02x}"),
        };
        let started = FanOutItem {
            key: (key, value(0)),
            result: Ok(ScanStarted {
                repository: (key == "repository").then(|| value(0)),
                project_id: "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d".into(),
                scan_id: "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3".into(),
                status: "IN_PROGRESS".into(),
            }),
        };
        let failed = |i: u8, e: Error| FanOutItem {
            key: (key, value(i)),
            result: Err(e),
        };
        Outcome::Scans(vec![
            started,
            failed(
                1,
                Error::Repository {
                    code: "RepositoryNotFound",
                    message: "none".into(),
                },
            ),
            failed(2, Error::invalid_field("clientToken", "bad")),
            failed(
                3,
                Error::Aws(AwsError {
                    operation: "inspector2:StartCodeSecurityScan",
                    code: "ThrottlingException".into(),
                    message: String::new(),
                    kind: AwsErrorKind::Throttled,
                    retry_after: Some(std::time::Duration::from_secs(3)),
                }),
            ),
        ])
        .to_json()
    };
    let schema = &doc["paths"]["/scans"]["post"]["responses"]["207"]["content"]["application/json"]
        ["schema"];
    for key in ["repository", "projectId"] {
        let body = scans(key);
        assert!(conforms(&body, schema, &doc), "{body}");
        let mut extra = body.clone();
        extra["scans"][1]["unexpected"] = true.into();
        assert!(!conforms(&extra, schema, &doc), "{extra}");
    }
}

/// A sweep's `202` on each route that takes a selector is described, the
/// answer built as `app/selectors.rs` builds it, from the selector's own
/// wire shape; a key more is not.
#[test]
fn a_sweeps_202_is_described() {
    use crate::domain::selector::Selector;
    let doc = super::document();
    let arn = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f";
    let selectors = [
        Selector::Covered {
            project_name_prefix: None,
            provider_type: None,
        },
        Selector::Covered {
            project_name_prefix: Some("payments/".into()),
            provider_type: Some("GITHUB".into()),
        },
        Selector::Configuration(arn.into()),
    ];
    // Every POST route a selector is taken on: all but the Classic run's.
    let routes = crate::domain::Operation::ROUTED
        .into_iter()
        .filter_map(|op| {
            let (method, path, _) = op.route()?;
            (method == "POST" && path != crate::domain::assessment_run::PATH)
                .then_some((path, op.name()))
        })
        .collect::<Vec<_>>();
    assert_eq!(routes.len(), 3, "{routes:?}");
    for (path, action) in routes {
        let schema = &doc["paths"][path]["post"]["responses"]["202"]["content"]["application/json"]
            ["schema"];
        for select in &selectors {
            let body =
                serde_json::json!({"sweep": "k-1", "action": action, "select": select.to_json()});
            assert!(conforms(&body, schema, &doc), "{path}: {body}");
            let mut extra = body.clone();
            extra["trigger"] = "http-v2".into();
            assert!(!conforms(&extra, schema, &doc), "{path}: {extra}");
        }
    }
}

/// Which combinations of a list, a selector, a configuration and a page
/// token the document takes is what the code takes (each body's values
/// valid, so that only the combination decides).
#[test]
fn the_documented_combinations_of_sweep_fields_are_the_codes() {
    use crate::domain::request::{Origin, Request, action_for};
    use crate::domain::{Direction, Operation};
    use serde_json::json;
    let doc = super::document();
    let arn = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f";
    let project = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
    let covered = json!({"covered": {"projectNamePrefix": "org/", "providerType": "GITHUB"}});
    let selects = [
        covered.clone(),
        json!({"covered": {}}),
        json!({"associatedWith": arn}),
        json!({}),
        json!({"covered": {}, "associatedWith": arn}),
    ];
    let accepted = |op: Operation, body: &Value| {
        Request::decode(op, body.clone())
            .and_then(|r| action_for(r, 10_000, &Origin::default()))
            .is_ok()
    };
    let mut checked = 0;
    let mut check = |op: Operation, schema: &str, body: Value| {
        let schema = &doc["components"]["schemas"][schema];
        assert_eq!(
            conforms(&body, schema, &doc),
            accepted(op, &body),
            "{}: {body}",
            op.name()
        );
        checked += 1;
    };
    let scan = Operation::StartCodeSecurityScan;
    let lists = [
        json!({"projectId": project}),
        json!({"resource": {"projectId": project}}),
        json!({"projectIds": [project]}),
        json!({"repositories": ["org/api"]}),
    ];
    for select in &selects {
        check(scan, "StartScanInput", json!({"select": select}));
        check(
            scan,
            "StartScanInput",
            json!({"select": select, "clientToken": "t-1", "nextToken": "page-2"}),
        );
        for list in &lists {
            let mut both = list.clone();
            both["select"] = select.clone();
            check(scan, "StartScanInput", both);
        }
    }
    for list in &lists {
        check(scan, "StartScanInput", list.clone());
        let mut paged = list.clone();
        paged["nextToken"] = "page-2".into();
        check(scan, "StartScanInput", paged);
    }
    check(scan, "StartScanInput", json!({"nextToken": "page-2"}));
    check(scan, "StartScanInput", json!({}));

    for d in Direction::ALL {
        let (op, (schema, _), field) = (d.operation(), d.documented(), d.request_field());
        let items = json!([{"scanConfigurationArn": arn, "resource": {"projectId": project}}]);
        for select in &selects {
            check(
                op,
                schema,
                json!({"select": select, "scanConfigurationArn": arn}),
            );
            check(
                op,
                schema,
                json!({"select": select, "scanConfigurationArn": arn, "nextToken": "p"}),
            );
            check(op, schema, json!({"select": select}));
            check(
                op,
                schema,
                json!({"select": select, "scanConfigurationArn": arn, field: items}),
            );
        }
        check(op, schema, json!({field: items}));
        check(
            op,
            schema,
            json!({field: items, "scanConfigurationArn": arn}),
        );
        check(op, schema, json!({field: items, "nextToken": "p"}));
        check(op, schema, json!({field: items, "select": covered}));
        check(op, schema, json!({"scanConfigurationArn": arn}));
        check(op, schema, json!({}));
    }
    assert!(checked > 80, "{checked}");
}
