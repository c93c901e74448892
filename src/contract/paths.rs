//! The operations: one per entry of the code's route table
//! (`ingress::HTTP_ROUTES`), each with the JWT scope `ROUTE_SCOPES` gives
//! it, its request body, its answers and the error codes it can answer with.

use super::answers::{Kind, error_codes, error_schema};
use crate::domain::validate::{PROJECT_ID_PATTERN, SCAN_ID_PATTERN};
use crate::domain::{Direction, Provider};
use crate::ingress::HTTP_ROUTES;
use crate::ingress::http::ROUTE_SCOPES;
use crate::ingress::webhook::WEBHOOK_ROUTES;
use serde_json::{Map, Value, json};

/// The JWT scopes' prefix the template sets by default (`JwtScopePrefix`).
pub const SCOPE_PREFIX: &str = "inspector-scan-router/";

fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn body(schema: Value) -> Value {
    json!({"content": {"application/json": {"schema": schema}}})
}

fn any_of(names: &[&str]) -> Value {
    match names {
        [one] => schema(one),
        many => json!({"anyOf": many.iter().map(|n| schema(n)).collect::<Vec<_>>()}),
    }
}

/// One success answer: status, description, body schemas, headers.
struct Success(
    u16,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

struct Operation {
    id: &'static str,
    summary: &'static str,
    request: Option<&'static str>,
    idempotency_key: bool,
    successes: &'static [Success],
    kind: Kind,
    /// OpenAPI links: `(status, operationId)` of the operations a success
    /// leads to, given the `projectId` and `scanId` of its body.
    links: &'static [(u16, &'static str)],
}

fn operation_for(method: &str, path: &str) -> Operation {
    let api = |body, aws, repository| Kind::Api {
        body,
        aws,
        repository,
    };
    if let Some(d) = Direction::ALL
        .into_iter()
        .find(|d| method == "POST" && path == d.path())
    {
        return configurations(d, api(true, false, false));
    }
    match (method, path) {
        ("POST", "/scans") => Operation {
            id: "StartCodeSecurityScan",
            summary: "Start a code security scan of a project (or of a repository, or several)",
            request: Some("StartScanInput"),
            idempotency_key: true,
            successes: &[
                Success(
                    200,
                    "DRY_RUN=true: the calls it would have made (a selector: its first listing call)",
                    &["DryRun"],
                    &[],
                ),
                Success(
                    202,
                    "Started: one scan (with Location), or every scan of a list; a list above \
                     100 items is queued whole; a selector is queued whole as a sweep",
                    &["ScanStarted", "ScanFanOut", "Queued", "Sweep"],
                    &["Location"],
                ),
                Success(
                    207,
                    "A list of which some scans did not start: each item has its result or error",
                    &["ScanFanOut"],
                    &[],
                ),
            ],
            kind: api(true, true, true),
            links: &[
                (202, "GetCodeSecurityScan"),
                (202, "GetCodeSecurityScanFindings"),
            ],
        },
        ("GET", "/scans/{projectId}/{scanId}") => Operation {
            id: "GetCodeSecurityScan",
            summary: "Read a scan's status",
            request: None,
            idempotency_key: false,
            successes: &[Success(
                200,
                "The scan's status, without its findings (DRY_RUN=true: the call it would have made)",
                &["ScanDetails", "DryRun"],
                &[],
            )],
            kind: api(false, true, false),
            links: &[],
        },
        ("GET", "/scans/{projectId}/{scanId}/findings") => Operation {
            id: "GetCodeSecurityScanFindings",
            summary: "Read a scan's status and, once it is SUCCESSFUL, its project's findings by severity",
            request: None,
            idempotency_key: false,
            successes: &[Success(
                200,
                "The scan's status and findings (DRY_RUN=true: the calls it would have made)",
                &["ScanFindings", "DryRun"],
                &[],
            )],
            kind: api(false, true, false),
            links: &[],
        },
        ("POST", "/assessment-runs") => Operation {
            id: "StartAssessmentRun",
            summary: "Start an Inspector Classic assessment run of a template",
            request: Some("StartRunInput"),
            idempotency_key: true,
            successes: &[
                Success(
                    200,
                    "The run of this name existed already (DRY_RUN=true: the call it would have made)",
                    &["RunStarted", "DryRun"],
                    &[],
                ),
                Success(201, "The run started", &["RunStarted"], &[]),
            ],
            kind: api(true, true, false),
            links: &[],
        },
        _ => panic!("{method} {path}: a route the contract does not describe"),
    }
}

/// A scan-configuration batch, in either direction: the same answers.
fn configurations(d: Direction, kind: Kind) -> Operation {
    Operation {
        id: d.name(),
        summary: d.documented().1,
        request: Some(d.documented().0),
        idempotency_key: false,
        successes: &[
            Success(
                200,
                "Every item succeeded (DRY_RUN=true: the calls it would have made; a selector: \
                 its first listing call)",
                &["BatchOutcome", "DryRun"],
                &[],
            ),
            Success(
                202,
                "More than 100 items: queued whole, done by the work queue; a selector: queued \
                 whole as a sweep",
                &["Queued", "Sweep"],
                &[],
            ),
            Success(
                207,
                "Some items failed: every item is in one list or the other, in the request's order",
                &["BatchOutcome"],
                &[],
            ),
        ],
        kind,
        links: &[],
    }
}

fn webhook_operation(provider: Provider) -> Value {
    let (signature, event, delivery) = match provider {
        Provider::GitHub => ("githubSignature", "X-GitHub-Event", "X-GitHub-Delivery"),
        Provider::GitLab => ("gitlabToken", "X-Gitlab-Event", "X-Gitlab-Event-UUID"),
    };
    let header = |name: &str, required: bool, description: &str, schema: Value| {
        json!({"name": name, "in": "header", "required": required, "description": description,
               "schema": schema})
    };
    let mut content = Map::new();
    // The body is read only for the events acted on (a push): any other
    // event is acknowledged whatever its body, and a push whose body is not
    // a JSON object (or, from GitHub, a form with one payload field) is a 400.
    let payload = "a push's payload, a JSON object; read only for the events acted on";
    content.insert(
        "application/json".into(),
        json!({"schema": {"description": payload}}),
    );
    if provider == Provider::GitHub {
        content.insert(
            "application/x-www-form-urlencoded".into(),
            json!({"schema": {"description": "payload=, a push's JSON payload; read only for the events acted on",
                              "properties": {"payload": {"type": "string"}}}}),
        );
    }
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        answer(
            "GitHub's ping; a push not scanned (another branch, a tag, a deletion, a repository \
                Inspector does not cover); DRY_RUN=true: the calls it would have made",
            any_of(&["WebhookPing", "WebhookSkipped", "DryRun"]),
            &[],
        ),
    );
    responses.insert(
        "202".into(),
        answer(
            "A push's scan started; or an event not acted on, acknowledged",
            any_of(&["ScanStarted", "WebhookIgnored"]),
            &["Location"],
        ),
    );
    errors(&mut responses, Kind::Webhook);
    gateway(&mut responses, &[429]);
    let title = provider.title();
    json!({
        "operationId": format!("{title}Webhook"),
        "summary": format!("A {title} webhook delivery: push events start a scan of the repository's default branch"),
        "description": "Verified before anything else is read: the body's size, then the signature or token \
                        against the webhook secret (current or previous value). No IAM or JWT authorizer.",
        "tags": ["webhooks"],
        "security": [{signature: []}],
        "parameters": [
            // Trimmed; an empty one is a 400.
            header(event, true, "the event; only pushes (and GitHub's ping) are acted on",
                   json!({"type": "string", "pattern": "\\S"})),
            // Only logged (escaped and bounded): any value, an empty one too.
            header(delivery, false, "the delivery's id, logged", json!({"type": "string"})),
        ],
        // Read only for the events acted on: a ping or an ignored event may come without one.
        "requestBody": {"required": false, "content": content},
        "responses": responses,
    })
}

fn answer(description: &str, schema: Value, headers: &[&str]) -> Value {
    let mut a =
        json!({"description": description, "content": {"application/json": {"schema": schema}}});
    if !headers.is_empty() {
        a["headers"] = headers
            .iter()
            .map(|h| {
                (
                    h.to_string(),
                    json!({"$ref": format!("#/components/headers/{h}")}),
                )
            })
            .collect::<Map<_, _>>()
            .into();
    }
    a
}

/// The error answers of a route, by status, each with its codes.
fn errors(responses: &mut Map<String, Value>, kind: Kind) {
    let aws = !matches!(kind, Kind::Api { aws: false, .. });
    for (status, codes) in error_codes(kind) {
        let headers: &[&str] = if status == 429 { &["Retry-After"] } else { &[] };
        let description = format!("Error: {}", codes.join(", "));
        responses.insert(
            status.to_string(),
            answer(&description, error_schema(status, &codes, aws), headers),
        );
    }
}

/// API Gateway's own answers (`{"message"}`) for `statuses`, beside the function's.
fn gateway(responses: &mut Map<String, Value>, statuses: &[u16]) {
    for status in statuses {
        let gateway = schema("GatewayMessage");
        let entry = responses.entry(status.to_string()).or_insert_with(|| {
            answer(
                "API Gateway refused the request before the function ran",
                json!({"anyOf": []}),
                &[],
            )
        });
        let s = &mut entry["content"]["application/json"]["schema"];
        match s.get_mut("anyOf").and_then(Value::as_array_mut) {
            Some(any) => any.push(gateway),
            None => *s = json!({"anyOf": [s.clone(), gateway]}),
        }
        if *status == 429 && entry.get("headers").is_none() {
            entry["headers"] = json!({"Retry-After": {"$ref": "#/components/headers/Retry-After"}});
        }
    }
}

fn api_operation(method: &str, path: &str, scope: &str) -> Value {
    let op = operation_for(method, path);
    let mut parameters = Vec::new();
    if path.contains("{projectId}") {
        parameters.push(json!({"name": "projectId", "in": "path", "required": true,
                               "schema": {"type": "string", "pattern": PROJECT_ID_PATTERN}}));
        parameters.push(json!({"name": "scanId", "in": "path", "required": true,
                               "schema": {"type": "string", "pattern": SCAN_ID_PATTERN}}));
    }
    if op.idempotency_key {
        parameters.push(json!({"$ref": "#/components/parameters/IdempotencyKey"}));
    }
    let mut responses = Map::new();
    for Success(status, description, schemas, headers) in op.successes {
        responses.insert(
            status.to_string(),
            answer(description, any_of(schemas), headers),
        );
    }
    for (status, target) in op.links {
        let response = &mut responses[&status.to_string()];
        response["links"][*target] = json!({
            "operationId": target,
            "description": "the scan started (one target: ScanStarted)",
            "parameters": {"projectId": "$response.body#/projectId",
                           "scanId": "$response.body#/scanId"},
        });
    }
    errors(&mut responses, op.kind);
    gateway(&mut responses, &[401, 403, 429]);
    let mut o = json!({
        "operationId": op.id,
        "summary": op.summary,
        "tags": ["inspector"],
        "security": [{"sigv4": []}, {"jwt": [format!("{SCOPE_PREFIX}{scope}")]}],
        "responses": responses,
    });
    if !parameters.is_empty() {
        o["parameters"] = parameters.into();
    }
    if let Some(request) = op.request {
        let mut b = body(schema(request));
        b["required"] = true.into();
        o["requestBody"] = b;
    }
    o
}

/// The `paths` object: every route of `HTTP_ROUTES`.
pub fn paths() -> Map<String, Value> {
    let mut paths = Map::new();
    for (method, path) in HTTP_ROUTES {
        let operation = match WEBHOOK_ROUTES.iter().find(|(p, _)| *p == path) {
            Some((_, provider)) => webhook_operation(*provider),
            None => {
                let (_, _, scope) = ROUTE_SCOPES
                    .iter()
                    .find(|(m, p, _)| *m == method && *p == path)
                    .unwrap_or_else(|| panic!("{method} {path} has no JWT scope"));
                api_operation(method, path, scope)
            }
        };
        let item = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        item[method.to_ascii_lowercase()] = operation;
    }
    paths
}
