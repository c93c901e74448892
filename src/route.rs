//! Route: a decoded [`Trigger`] to a validated [`Action`].

use crate::decode::{EventBridgeEvent, HttpRequest, Trigger, json_body};
use crate::error::{Error, FieldError};
use crate::model::{
    Action, DisassociateInput, GetScanInput, Operation, ScanTarget, StartRun, StartRunInput,
    StartScan, StartScanInput, check_client_token, decode_input, shown,
};
use crate::push::{self, Push};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// What the router needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct RouteConfig {
    /// Most disassociation items (and fan-out targets) in one request.
    pub max_batch_items: usize,
    /// Largest HTTP body accepted, after base64 decoding.
    pub max_body_bytes: usize,
    /// Templates a plain `Scheduled Event` starts runs of.
    pub assessment_template_arns: Vec<String>,
}

/// Where an invocation's idempotency comes from. A redelivered event (same
/// EventBridge `id`) or a retried asynchronous invocation (same Lambda
/// request id) derives the same tokens and run names, so it cannot start a
/// second scan or run.
#[derive(Debug, Clone, Copy)]
struct Origin<'a> {
    /// Base for derived client tokens; `None` for HTTP (callers send
    /// `Idempotency-Key`).
    token_base: Option<&'a str>,
    /// Base for derived assessment run names.
    run_name_base: Option<&'a str>,
}

const NO_ORIGIN: Origin<'static> = Origin {
    token_base: None,
    run_name_base: None,
};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A client token for `key` (a project id or repository) under `base`:
/// `<base>-<16 hex of sha256(key)>`, at most 64 characters; a base that is
/// too long or not token-safe is replaced by 32 hex of its own hash.
pub fn derive_token(base: &str, key: &str) -> String {
    let base_ok = base.len() <= 47 && check_client_token("", base).is_ok();
    let base = if base_ok {
        base.to_string()
    } else {
        hex(&Sha256::digest(base.as_bytes()))[..32].to_string()
    };
    let suffix = &hex(&Sha256::digest(key.as_bytes()))[..16];
    format!("{base}-{suffix}")
}

/// A run name from `base`: `inspector-scan-router-<base>`, 1-140 characters.
pub fn derive_run_name(base: &str) -> String {
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .collect();
    let name = format!("inspector-scan-router-{clean}");
    if name.len() <= 140 {
        name
    } else {
        format!(
            "inspector-scan-router-{}",
            hex(&Sha256::digest(base.as_bytes()))
        )
    }
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

/// Route a trigger. `request_id` is the Lambda request id, stable across
/// the retries of one asynchronous invocation.
pub fn route(trigger: &Trigger, cfg: &RouteConfig, request_id: &str) -> Result<Action, Error> {
    match trigger {
        Trigger::Http(req) => route_http(req, cfg),
        Trigger::EventBridge(ev) => route_event(ev, cfg),
        Trigger::Direct { action, fields } => {
            let origin = Origin {
                token_base: Some(request_id),
                run_name_base: Some(request_id),
            };
            route_direct(action, fields, cfg, origin)
        }
    }
}

fn scan_action(input: Value, cfg: &RouteConfig, origin: Origin) -> Result<Action, Error> {
    let req = decode_input::<StartScanInput>(input)?.validate(cfg.max_batch_items)?;
    let token = |t: &ScanTarget| match (&req.client_token, origin.token_base) {
        (Some(given), _) if !req.fan_out => Some(given.clone()),
        (Some(given), _) => Some(derive_token(given, t.key())),
        (None, Some(base)) => Some(derive_token(base, t.key())),
        (None, None) => None,
    };
    let mut scans: Vec<StartScan> = req
        .targets
        .iter()
        .map(|t| StartScan {
            client_token: token(t),
            target: t.clone(),
        })
        .collect();
    Ok(if req.fan_out {
        Action::StartCodeSecurityScans(scans)
    } else {
        Action::StartCodeSecurityScan(scans.remove(0))
    })
}

fn action_for(
    op: Operation,
    input: Value,
    cfg: &RouteConfig,
    origin: Origin,
) -> Result<Action, Error> {
    Ok(match op {
        Operation::ListCoverage | Operation::ListAssessmentRuns => {
            return Err(Error::invalid_field(
                "action",
                format!("{} is not an action", op.name()),
            ));
        }
        Operation::StartCodeSecurityScan => scan_action(input, cfg, origin)?,
        Operation::GetCodeSecurityScan => {
            Action::GetCodeSecurityScan(decode_input::<GetScanInput>(input)?.validate()?)
        }
        Operation::BatchDisassociateCodeSecurityScanConfiguration => Action::BatchDisassociate(
            decode_input::<DisassociateInput>(input)?.validate(cfg.max_batch_items)?,
        ),
        Operation::StartAssessmentRun => {
            let mut run = decode_input::<StartRunInput>(input)?.validate()?;
            if run.assessment_run_name.is_none() {
                run.assessment_run_name = origin.run_name_base.map(derive_run_name);
            }
            Action::StartAssessmentRun(run)
        }
    })
}

fn route_direct(
    action: &str,
    fields: &Map<String, Value>,
    cfg: &RouteConfig,
    origin: Origin,
) -> Result<Action, Error> {
    let op = Operation::from_name(action).ok_or_else(|| {
        Error::invalid_field(
            "action",
            format!("\"{}\" is not one of {}", shown(action), Operation::names()),
        )
    })?;
    action_for(op, Value::Object(fields.clone()), cfg, origin)
}

fn route_event(ev: &EventBridgeEvent, cfg: &RouteConfig) -> Result<Action, Error> {
    // Event ids are unique per event and kept across redeliveries.
    let run_name_base = format!("{}-{}", ev.time.as_deref().unwrap_or_default(), ev.id);
    let origin = Origin {
        token_base: Some(ev.id.as_str()).filter(|id| !id.is_empty()),
        run_name_base: Some(run_name_base.as_str()).filter(|_| !ev.id.is_empty()),
    };
    if ev.source == "aws.events" && ev.detail_type == "Scheduled Event" {
        return scheduled_runs(cfg, origin);
    }
    if push::is_push(ev) {
        return match push::decide(ev)? {
            Push::Skip(skip) => Ok(Action::Skip(skip)),
            Push::Scan { repository, .. } => {
                let target = ScanTarget::Repository(repository);
                let client_token = origin.token_base.map(|b| derive_token(b, target.key()));
                Ok(Action::StartCodeSecurityScan(StartScan {
                    target,
                    client_token,
                }))
            }
        };
    }
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
    action_for(op, ev.detail.clone(), cfg, origin).map_err(|e| prefix_fields(e, "detail"))
}

/// A plain schedule rule (no Input): one run per configured template.
fn scheduled_runs(cfg: &RouteConfig, origin: Origin) -> Result<Action, Error> {
    if cfg.assessment_template_arns.is_empty() {
        return Err(Error::UnsupportedEvent {
            message:
                "a Scheduled Event arrived but ASSESSMENT_TEMPLATE_ARNS is empty: nothing to run"
                    .into(),
        });
    }
    let name = origin.run_name_base.map(derive_run_name);
    Ok(Action::StartAssessmentRuns(
        cfg.assessment_template_arns
            .iter()
            .map(|arn| StartRun {
                assessment_template_arn: arn.clone(),
                assessment_run_name: name.clone(),
            })
            .collect(),
    ))
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

fn route_http(req: &HttpRequest, cfg: &RouteConfig) -> Result<Action, Error> {
    match match_route(&req.method, &req.path)? {
        Route::StartScan => {
            let mut body = json_body(req, cfg.max_body_bytes)?;
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
            action_for(Operation::StartCodeSecurityScan, body, cfg, NO_ORIGIN)
        }
        Route::GetScan {
            project_id,
            scan_id,
        } => action_for(
            Operation::GetCodeSecurityScan,
            serde_json::json!({"projectId": project_id, "scanId": scan_id}),
            cfg,
            NO_ORIGIN,
        ),
        Route::Disassociate => action_for(
            Operation::BatchDisassociateCodeSecurityScanConfiguration,
            json_body(req, cfg.max_body_bytes)?,
            cfg,
            NO_ORIGIN,
        ),
        Route::StartRun => action_for(
            Operation::StartAssessmentRun,
            json_body(req, cfg.max_body_bytes)?,
            cfg,
            NO_ORIGIN,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{EventBridgeEvent, HttpFlavor};
    use crate::model::GetScan;
    use serde_json::json;

    const PROJECT: &str = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
    fn cfg() -> RouteConfig {
        RouteConfig {
            max_batch_items: 100,
            max_body_bytes: 4096,
            assessment_template_arns: vec![],
        }
    }

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
            route(&t, &cfg(), "req-1").unwrap(),
            Action::StartCodeSecurityScan(StartScan {
                target: ScanTarget::ProjectId(PROJECT.into()),
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
            route(&t, &cfg(), "req-1").unwrap_err().fields()[0].field,
            "clientToken"
        );
    }

    #[test]
    fn get_scan_decodes_and_validates_path_parameters() {
        let t = http("GET", &format!("/scans/{PROJECT}/scan-1"), None, &[]);
        assert_eq!(
            route(&t, &cfg(), "req-1").unwrap(),
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
            let e = route(&http("GET", bad, None, &[]), &cfg(), "req-1").unwrap_err();
            assert_eq!(e.http_status(), 400, "{bad}");
        }
    }

    #[test]
    fn unknown_paths_and_wrong_methods() {
        let e = route(&http("POST", "/nope", None, &[]), &cfg(), "req-1").unwrap_err();
        assert_eq!(e.http_status(), 404);
        let e = route(&http("DELETE", "/scans", None, &[]), &cfg(), "req-1").unwrap_err();
        assert_eq!(
            e,
            Error::MethodNotAllowed {
                method: "DELETE".into(),
                allow: vec!["POST"]
            }
        );
        let e = route(
            &http("POST", &format!("/scans/{PROJECT}/s"), None, &[]),
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
}

#[cfg(test)]
mod idempotency_tests {
    use super::*;

    #[test]
    fn tokens_are_deterministic_distinct_per_key_and_within_64() {
        let id = "6a7e8feb-b491-4cf7-a9f1-bf3703467718";
        let a = derive_token(id, "octo/a");
        assert_eq!(a, derive_token(id, "octo/a"));
        assert_ne!(a, derive_token(id, "octo/b"));
        assert!(a.starts_with(id) && a.len() <= 64);
        let long = derive_token(&"x".repeat(300), "k");
        assert!(long.len() <= 64 && check_client_token("t", &long).is_ok());
        assert_ne!(derive_token("has space", "k"), "has space-");
    }

    #[test]
    fn run_names_fit_the_limit() {
        let n = derive_run_name("2026-11-21T03:00:00Z-6a7e8feb-b491-4cf7-a9f1-bf3703467718");
        assert_eq!(
            n,
            "inspector-scan-router-2026-11-21T03:00:00Z-6a7e8feb-b491-4cf7-a9f1-bf3703467718"
        );
        assert!(derive_run_name(&"y".repeat(500)).len() <= 140);
    }
}
