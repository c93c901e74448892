//! Route: a decoded [`Trigger`] to a validated [`Action`].

use crate::decode::{EventBridgeEvent, HttpRequest, Trigger, json_body};
use crate::error::{Error, FieldError};
use crate::model::{
    Action, DisassociateInput, GetScanInput, Operation, StartRunInput, StartScanInput,
    check_client_token, decode_input, shown,
};
use serde_json::{Map, Value};

/// Limits the router applies before anything reaches AWS.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most disassociation items accepted in one request.
    pub max_batch_items: usize,
    /// Largest HTTP body accepted, after base64 decoding.
    pub max_body_bytes: usize,
}

/// The HTTP routes, as the template must declare them.
pub const HTTP_ROUTES: [(&str, &str); 4] = [
    ("POST", "/scans"),
    ("GET", "/scans/{projectId}/{scanId}"),
    ("POST", "/scan-configurations/disassociate"),
    ("POST", "/assessment-runs"),
];

/// Operations an EventBridge custom event may name in `detail-type`.
pub const EVENT_OPERATIONS: [Operation; 3] = [
    Operation::StartCodeSecurityScan,
    Operation::BatchDisassociateCodeSecurityScanConfiguration,
    Operation::StartAssessmentRun,
];

pub fn route(trigger: &Trigger, limits: Limits) -> Result<Action, Error> {
    match trigger {
        Trigger::Http(req) => route_http(req, limits),
        Trigger::EventBridge(ev) => route_event(ev, limits),
        Trigger::Direct { action, fields } => route_direct(action, fields, limits),
    }
}

fn action_for(op: Operation, input: Value, limits: Limits) -> Result<Action, Error> {
    Ok(match op {
        Operation::StartCodeSecurityScan => {
            Action::StartCodeSecurityScan(decode_input::<StartScanInput>(input)?.validate()?)
        }
        Operation::GetCodeSecurityScan => {
            Action::GetCodeSecurityScan(decode_input::<GetScanInput>(input)?.validate()?)
        }
        Operation::BatchDisassociateCodeSecurityScanConfiguration => Action::BatchDisassociate(
            decode_input::<DisassociateInput>(input)?.validate(limits.max_batch_items)?,
        ),
        Operation::StartAssessmentRun => {
            Action::StartAssessmentRun(decode_input::<StartRunInput>(input)?.validate()?)
        }
    })
}

fn route_direct(
    action: &str,
    fields: &Map<String, Value>,
    limits: Limits,
) -> Result<Action, Error> {
    let op = Operation::from_name(action).ok_or_else(|| {
        Error::invalid_field(
            "action",
            format!("\"{}\" is not one of {}", shown(action), Operation::names()),
        )
    })?;
    action_for(op, Value::Object(fields.clone()), limits)
}

fn route_event(ev: &EventBridgeEvent, limits: Limits) -> Result<Action, Error> {
    let op = Operation::from_name(&ev.detail_type)
        .filter(|op| EVENT_OPERATIONS.contains(op))
        .ok_or_else(|| Error::UnsupportedEvent {
            message: format!(
                "unsupported EventBridge event: detail-type \"{}\" from source \"{}\"; expected detail-type one of {}",
                shown(&ev.detail_type),
                shown(&ev.source),
                EVENT_OPERATIONS.map(Operation::name).join(", ")
            ),
        })?;
    if !ev.detail.is_object() {
        return Err(Error::invalid_field("detail", "must be a JSON object"));
    }
    action_for(op, ev.detail.clone(), limits).map_err(|e| prefix_fields(e, "detail"))
}

/// Field paths inside `detail` are reported as `detail.<path>`.
fn prefix_fields(e: Error, prefix: &str) -> Error {
    match e {
        Error::InvalidRequest { fields, .. } => Error::invalid(
            fields
                .into_iter()
                .map(|f| {
                    let field = if f.field.is_empty() {
                        prefix.to_string()
                    } else {
                        format!("{prefix}.{}", f.field)
                    };
                    FieldError { field, ..f }
                })
                .collect(),
        ),
        other => other,
    }
}

/// Percent-decode one path segment; `None` if the result is not UTF-8 or the
/// encoding is broken.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

enum Route {
    StartScan,
    GetScan { project_id: String, scan_id: String },
    Disassociate,
    StartRun,
}

fn match_route(method: &str, path: &str) -> Result<Route, Error> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
    let (allow, route): (&[&'static str], Option<Route>) = match segments.as_slice() {
        ["scans"] => (&["POST"], (method == "POST").then_some(Route::StartScan)),
        ["scans", project, scan] => {
            let decode = |name: &str, raw: &str| {
                percent_decode(raw).ok_or_else(|| {
                    Error::invalid_field(name, "path segment is not valid percent-encoded UTF-8")
                })
            };
            let route = if method == "GET" {
                Some(Route::GetScan {
                    project_id: decode("projectId", project)?,
                    scan_id: decode("scanId", scan)?,
                })
            } else {
                None
            };
            (&["GET"], route)
        }
        ["scan-configurations", "disassociate"] => {
            (&["POST"], (method == "POST").then_some(Route::Disassociate))
        }
        ["assessment-runs"] => (&["POST"], (method == "POST").then_some(Route::StartRun)),
        _ => {
            return Err(Error::NotFound { path: shown(path) });
        }
    };
    route.ok_or_else(|| Error::MethodNotAllowed {
        method: shown(method),
        allow: allow.to_vec(),
    })
}

fn route_http(req: &HttpRequest, limits: Limits) -> Result<Action, Error> {
    match match_route(&req.method, &req.path)? {
        Route::StartScan => {
            let mut body = json_body(req, limits.max_body_bytes)?;
            if let Some(key) = req.header("idempotency-key") {
                check_client_token("Idempotency-Key", key).map_err(|f| Error::invalid(vec![f]))?;
                match body.get("clientToken") {
                    Some(Value::String(token)) if token != key => {
                        return Err(Error::invalid_field(
                            "clientToken",
                            "differs from the Idempotency-Key header; send one or make them equal",
                        ));
                    }
                    _ => body["clientToken"] = Value::String(key.to_string()),
                }
            }
            action_for(Operation::StartCodeSecurityScan, body, limits)
        }
        Route::GetScan {
            project_id,
            scan_id,
        } => action_for(
            Operation::GetCodeSecurityScan,
            serde_json::json!({"projectId": project_id, "scanId": scan_id}),
            limits,
        ),
        Route::Disassociate => action_for(
            Operation::BatchDisassociateCodeSecurityScanConfiguration,
            json_body(req, limits.max_body_bytes)?,
            limits,
        ),
        Route::StartRun => action_for(
            Operation::StartAssessmentRun,
            json_body(req, limits.max_body_bytes)?,
            limits,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{EventBridgeEvent, HttpFlavor};
    use crate::model::{GetScan, StartScan};
    use serde_json::json;

    const PROJECT: &str = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
    const LIMITS: Limits = Limits {
        max_batch_items: 100,
        max_body_bytes: 4096,
    };

    fn http(method: &str, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Trigger {
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
        })
    }

    #[test]
    fn post_scans_uses_idempotency_key_as_client_token() {
        let t = http(
            "POST",
            "/scans/",
            Some(json!({"projectId": PROJECT})),
            &[("idempotency-key", "abc-1")],
        );
        assert_eq!(
            route(&t, LIMITS).unwrap(),
            Action::StartCodeSecurityScan(StartScan {
                project_id: PROJECT.into(),
                client_token: Some("abc-1".into())
            })
        );
        let t = http(
            "POST",
            "/scans",
            Some(json!({"projectId": PROJECT, "clientToken": "other"})),
            &[("idempotency-key", "abc-1")],
        );
        assert_eq!(
            route(&t, LIMITS).unwrap_err().fields()[0].field,
            "clientToken"
        );
    }

    #[test]
    fn get_scan_decodes_and_validates_path_parameters() {
        let t = http("GET", &format!("/scans/{PROJECT}/scan-1"), None, &[]);
        assert_eq!(
            route(&t, LIMITS).unwrap(),
            Action::GetCodeSecurityScan(GetScan {
                project_id: PROJECT.into(),
                scan_id: "scan-1".into()
            })
        );
        for bad in [
            "/scans/..%2F..%2Fetc/x",
            "/scans/%2e%2e/x",
            "/scans/%ff/x",
            &format!("/scans/{PROJECT}/a%2Fb"),
        ] {
            let e = route(&http("GET", bad, None, &[]), LIMITS).unwrap_err();
            assert_eq!(e.http_status(), 400, "{bad}");
        }
    }

    #[test]
    fn unknown_paths_and_wrong_methods() {
        let e = route(&http("POST", "/nope", None, &[]), LIMITS).unwrap_err();
        assert_eq!(e.http_status(), 404);
        let e = route(&http("DELETE", "/scans", None, &[]), LIMITS).unwrap_err();
        assert_eq!(
            e,
            Error::MethodNotAllowed {
                method: "DELETE".into(),
                allow: vec!["POST"]
            }
        );
        let e = route(
            &http("POST", &format!("/scans/{PROJECT}/s"), None, &[]),
            LIMITS,
        )
        .unwrap_err();
        assert_eq!(e.http_status(), 405);
    }

    #[test]
    fn eventbridge_routes_by_detail_type_and_prefixes_fields() {
        let ev = |dt: &str, detail: Value| {
            Trigger::EventBridge(EventBridgeEvent {
                id: "id".into(),
                source: "ci".into(),
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
            LIMITS,
        )
        .unwrap();
        assert_eq!(a.operation(), Operation::StartCodeSecurityScan);
        let e = route(
            &ev("StartCodeSecurityScan", json!({"resource": {}})),
            LIMITS,
        )
        .unwrap_err();
        assert_eq!(e.fields()[0].field, "detail.resource.projectId");
        let e = route(&ev("GetCodeSecurityScan", json!({})), LIMITS).unwrap_err();
        assert_eq!(e.code(), "UnsupportedEvent");
        let e = route(&ev("Something Else", json!({})), LIMITS).unwrap_err();
        assert!(e.to_string().contains("Something Else"));
    }

    #[test]
    fn direct_names_unknown_actions() {
        let e = route(
            &Trigger::Direct {
                action: "StartScan".into(),
                fields: Map::new(),
            },
            LIMITS,
        )
        .unwrap_err();
        assert_eq!(e.fields()[0].field, "action");
    }
}
