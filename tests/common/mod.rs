//! Shared test support: the real SDK clients pointed at a local stand-in
//! endpoint (wiremock), and the bundled events.
#![allow(dead_code)]

pub mod checks;
pub mod estate;
pub mod in_flight;
pub mod logs;
pub mod queue;
pub mod results;
pub mod sqs;
pub mod stateful;
pub mod webhooks;

use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
use aws_sdk_inspector2::config::Credentials;
use inspector_scan_router::domain::keys::{derive_token, scoped_base};
use inspector_scan_router::{App, Settings};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const PROJECT: &str = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
pub const PROJECT2: &str = "project-1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e";
pub const CONFIG_ARN: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f";
pub const TEMPLATE_ARN: &str =
    "arn:aws:inspector:us-east-1:123456789012:target/0-nvgVhaxX/template/0-7sbz2Kz0";
/// The IAM caller of the bundled HTTP events, as the function scopes its keys.
pub const CI_CALLER_SCOPE: &str =
    "http:iam:arn:aws:sts::123456789012:assumed-role/ci-deployer/ci-session";

/// The clientToken an HTTP caller's `key` becomes for `target`.
pub fn http_token(scope: &str, key: &str, target: &str) -> String {
    derive_token(&scoped_base(scope, key), target)
}

pub const SCAN_ID: &str = "8f3b2c1a-9d4e-4f5a-b6c7-d8e9f0a1b2c3";

/// The one SDK set-up of the tests: aimed at `endpoint`, region us-east-1,
/// static test credentials (with a session token when given, so that its
/// header exists). Callers add their retry and timeout policy.
pub fn loader(endpoint: &str, session_token: Option<&str>) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "test-secret",
            session_token.map(str::to_string),
            None,
            "tests",
        ))
}

/// SDK configuration aimed at `endpoint` with `max_attempts` attempts per
/// call and a 1 ms initial backoff.
pub async fn sdk_config(endpoint: &str, max_attempts: u32) -> aws_config::SdkConfig {
    loader(endpoint, None)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(max_attempts)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(5))
                .build(),
        )
        .load()
        .await
}

/// The settings the tests start from: the defaults, which fail closed
/// (`HTTP_AUTH` IAM, every operation switch off), with every switch on,
/// as a deployment that uses those operations says.
pub fn settings() -> Settings {
    let mut s = Settings::default();
    s.trust.switches = inspector_scan_router::domain::gate::Switches::ON;
    s
}

pub async fn live_app(server: &MockServer) -> App {
    live_app_with(server, settings(), 1).await
}

/// What the function aimed at `server` answers to the bundled event `file`.
pub async fn handled(
    server: &MockServer,
    file: &str,
) -> Result<Value, inspector_scan_router::domain::Error> {
    live_app(server).await.handle(event(load_event(file))).await
}

pub async fn live_app_with(server: &MockServer, settings: Settings, max_attempts: u32) -> App {
    live_app_at(&server.uri(), settings, max_attempts).await
}

/// A live app whose AWS clients call `endpoint`.
pub async fn live_app_at(endpoint: &str, settings: Settings, max_attempts: u32) -> App {
    let sdk = sdk_config(endpoint, max_attempts).await;
    App::new(settings, Some(&sdk))
}

pub fn dry_app() -> App {
    App::new(
        Settings {
            dry_run: true,
            ..settings()
        },
        None,
    )
}

/// The function's ARN in the tests: account 123456789012, the bundled
/// events' account, so its EventBridge events are trusted by default.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:scan-router";

/// A Lambda context as the runtime gives it: this function's ARN, no deadline.
pub fn context() -> Context {
    let mut ctx = Context::default();
    ctx.invoked_function_arn = FUNCTION_ARN.to_string();
    ctx
}

pub fn event(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, context())
}

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

pub fn load_event(name: &str) -> Value {
    let path = events_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The body of an HTTP response envelope, parsed.
pub fn http_body(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().expect("body is a string"))
        .expect("body is JSON")
}

pub fn resp_header<'a>(response: &'a Value, name: &str) -> Option<&'a str> {
    response["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))?
        .1
        .as_str()
}

pub async fn requests(server: &MockServer) -> Vec<wiremock::Request> {
    server.received_requests().await.unwrap_or_default()
}

pub fn json_of(req: &wiremock::Request) -> Value {
    serde_json::from_slice(&req.body).expect("request body is JSON")
}

pub fn req_header<'a>(req: &'a wiremock::Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Events with fan-out, resolution or skips: covered by tests/it/contract/triggers.rs
/// rather than the one-call table in tests/it/contract/events.rs.
pub const TRIGGER_EVENTS: [&str; 6] = [
    "eventbridge-github-push.json",
    "eventbridge-github-push-feature-branch.json",
    "eventbridge-gitlab-push.json",
    "scheduled-event.json",
    "scheduler-start-scans.json",
    "scheduler-start-scans-repositories.json",
];

/// Events from the work queue: covered by tests/it/queue/in_process.rs.
pub const QUEUE_EVENTS: [&str; 1] = ["sqs-work-queue.json"];

pub const TEMPLATE_ARN2: &str =
    "arn:aws:inspector:us-east-1:123456789012:target/0-nvgVhaxX/template/0-Yg3cQm1e";

/// An invocation with Lambda's deadline: `timeout` from now (the
/// template's function timeout is 30 s).
pub fn event_with_deadline(
    payload: Value,
    request_id: &str,
    timeout: Duration,
) -> LambdaEvent<Value> {
    let mut ctx = context();
    ctx.request_id = request_id.to_string();
    let at = std::time::SystemTime::now() + timeout;
    ctx.deadline = at
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    LambdaEvent::new(payload, ctx)
}

pub fn event_with_request_id(payload: Value, request_id: &str) -> LambdaEvent<Value> {
    let mut ctx = context();
    ctx.request_id = request_id.to_string();
    LambdaEvent::new(payload, ctx)
}

pub const START_SCAN_PATH: &str = "/codesecurity/scan/start";
pub const FINDINGS_PATH: &str = "/findings/aggregation/list";
pub const GET_SCAN_PATH: &str = "/codesecurity/scan/get";

/// ListFindingAggregations for `project`: 1 critical, 2 high, 3 medium, 9 in all.
pub fn findings_answer(project: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "aggregationType": "CODE_REPOSITORY",
        "responses": [{"codeRepositoryAggregation": {
            "projectNames": "octo-org/api", "providerType": "GITHUB", "resourceId": project,
            "accountId": "123456789012",
            "severityCounts": {"all": 9, "critical": 1, "high": 2, "medium": 3}
        }}]
    }))
}
pub const DISASSOCIATE_PATH: &str = "/codesecurity/scan-configuration/batch/disassociate";
pub const ASSOCIATE_PATH: &str = "/codesecurity/scan-configuration/batch/associate";

/// Mounts `responder` for POST requests to `path_` on `server`.
pub async fn on_post(server: &MockServer, path_: &str, responder: impl Respond + 'static) {
    Mock::given(method("POST"))
        .and(path(path_))
        .respond_with(responder)
        .mount(server)
        .await;
}

/// A stand-in that answers POST requests to `path_` with `responder`, and nothing else.
pub async fn serving(path_: &str, responder: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    on_post(&server, path_, responder).await;
    server
}

/// StartCodeSecurityScan's answer.
pub fn scan_started() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"scanId": SCAN_ID, "status": "IN_PROGRESS"}))
}

/// The items of a scan-configuration batch request, in either direction
/// (`associateConfigurationRequests` or `disassociateConfigurationRequests`).
pub fn requested_items(req: &Request) -> Vec<Value> {
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let lists: Vec<&Value> = body
        .as_object()
        .expect("a JSON object")
        .iter()
        .filter(|(k, _)| k.ends_with("ssociateConfigurationRequests"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(lists.len(), 1, "one list of items: {body}");
    lists[0].as_array().expect("a list of items").clone()
}

/// A `failedAssociations` entry for a requested `item`.
pub fn failed_item(item: &Value, status_code: &str, status_message: &str) -> Value {
    json!({"scanConfigurationArn": item["scanConfigurationArn"], "resource": item["resource"],
           "statusCode": status_code, "statusMessage": status_message})
}

/// Answers a disassociation call with every requested item successful.
pub struct AllSucceed;

impl Respond for AllSucceed {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(
            json!({"successfulAssociations": requested_items(req), "failedAssociations": []}),
        )
    }
}

/// A stand-in for Inspector where every call succeeds.
pub async fn stand_in() -> MockServer {
    let server = serving(START_SCAN_PATH, scan_started()).await;
    on_post(
        &server,
        "/codesecurity/scan/get",
        ResponseTemplate::new(200).set_body_json(json!({
            "scanId": SCAN_ID, "resource": {"projectId": PROJECT}, "accountId": "123456789012",
            "status": "SUCCESSFUL", "createdAt": 1795104000, "updatedAt": 1795104300,
            "lastCommitId": "9fceb02d0ae598e95dc970b74767f19372d61af8"
        })),
    )
    .await;
    on_post(&server, FINDINGS_PATH, findings_answer(PROJECT)).await;
    on_post(&server, DISASSOCIATE_PATH, AllSucceed).await;
    on_post(&server, ASSOCIATE_PATH, AllSucceed).await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header(
            "x-amz-target",
            "InspectorService.StartAssessmentRun",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"assessmentRunArn": format!("{TEMPLATE_ARN}/run/0-MKkpXXPE")}),
            ),
        )
        .mount(&server)
        .await;
    server
}

/// An HTTP API event (stage `prod`) for `method path` with a raw body,
/// built from the bundled event, without its Idempotency-Key.
pub fn http_event(method: &str, path: &str, body: Option<&str>, b64: bool) -> Value {
    let mut e = load_event("http-start-scan.json");
    let raw = format!("/prod{path}");
    e["rawPath"] = raw.clone().into();
    e["requestContext"]["http"]["path"] = raw.into();
    e["requestContext"]["http"]["method"] = method.into();
    e["headers"]
        .as_object_mut()
        .unwrap()
        .remove("idempotency-key");
    e["isBase64Encoded"] = b64.into();
    match body {
        Some(b) => e["body"] = b.into(),
        None => {
            e.as_object_mut().unwrap().remove("body");
        }
    }
    e
}

/// An AWS error answer: `status`, the error type header, `{"message": code}`.
pub fn aws_error_answer(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amzn-errortype", code)
        .set_body_json(json!({"message": code}))
}

// ---- disassociation ----------------------------------------------------------

/// The project id of item `i` of a test batch.
pub fn project(i: usize) -> String {
    format!("project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}")
}

/// `n` disassociation items, `project(0..n)` under one configuration.
pub fn disassociate_items(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"scanConfigurationArn": CONFIG_ARN, "resource": {"projectId": project(i)}}))
        .collect()
}

/// A direct invocation disassociating `disassociate_items(n)`.
pub fn direct_disassociate(n: usize) -> Value {
    json!({"action": "BatchDisassociateCodeSecurityScanConfiguration",
           "disassociateConfigurationRequests": disassociate_items(n)})
}

/// Both scan-configuration batches: (operation, request field, stand-in
/// path, bundled HTTP event).
pub const DIRECTIONS: [(&str, &str, &str, &str); 2] = [
    (
        "BatchAssociateCodeSecurityScanConfiguration",
        "associateConfigurationRequests",
        ASSOCIATE_PATH,
        "http-associate.json",
    ),
    (
        "BatchDisassociateCodeSecurityScanConfiguration",
        "disassociateConfigurationRequests",
        DISASSOCIATE_PATH,
        "http-disassociate.json",
    ),
];

/// A direct invocation of `op` (one of [`DIRECTIONS`]) with `n` items.
pub fn direct_batch(op: &str, field: &str, n: usize) -> Value {
    json!({"action": op, field: disassociate_items(n)})
}

/// A service quota as AWS enforces it: `rate` calls a second, bursts of up
/// to `burst`; a call that finds no token is throttled and takes none.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
    /// Calls throttled so far.
    pub throttled: std::sync::atomic::AtomicUsize,
}

impl TokenBucket {
    /// Full at the start.
    pub fn new(rate: f64, burst: f64) -> Arc<TokenBucket> {
        Arc::new(TokenBucket {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
            throttled: Default::default(),
        })
    }

    /// Takes a token if there is one.
    pub fn take(&self) -> bool {
        let mut st = self.state.lock().unwrap();
        let now = Instant::now();
        st.0 = (st.0 + now.duration_since(st.1).as_secs_f64() * self.rate).min(self.burst);
        st.1 = now;
        if st.0 >= 1.0 {
            st.0 -= 1.0;
            true
        } else {
            self.throttled
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            false
        }
    }

    pub fn throttled(&self) -> usize {
        self.throttled.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// When a call arrived, and the project ids it carried.
pub type Call = (Instant, Vec<String>);

/// A scripted BatchDisassociateCodeSecurityScanConfiguration stand-in: per
/// project id, what the service says about it. Every answer also reports an
/// item nobody sent, which the function must ignore.
#[derive(Clone, Default)]
pub struct Disassociation {
    /// project id -> failure status code, every time it is sent
    pub fail: HashMap<String, &'static str>,
    /// project ids that fail with INTERNAL_ERROR the first time they are sent
    pub flaky: Vec<String>,
    /// project ids the service leaves out of its answer
    pub omit: Vec<String>,
    /// project ids the service reports twice
    pub twice: Vec<String>,
    /// a call containing this project id fails as a whole with HTTP 500
    pub broken: Option<String>,
    /// project id -> how many calls containing it are throttled as a whole
    /// (HTTP 429 ThrottlingException) before it is served
    pub throttle: HashMap<String, usize>,
    /// The account's quota for the operation: a token bucket; a call that
    /// finds it empty is throttled (HTTP 429 ThrottlingException).
    pub quota: Option<Arc<TokenBucket>>,
    pub delay: Duration,
    pub calls_made: Arc<Mutex<Vec<Call>>>,
    pub times_sent: Arc<Mutex<HashMap<String, usize>>>,
    /// project id -> calls containing it throttled so far
    pub times_throttled: Arc<Mutex<HashMap<String, usize>>>,
    /// project id -> how often it was answered for good: succeeded, or
    /// failed with a status other than INTERNAL_ERROR
    pub answered: Arc<Mutex<HashMap<String, usize>>>,
    /// `flaky` as a set, built at the first call (large scripts)
    pub flaky_set: Arc<std::sync::OnceLock<std::collections::HashSet<String>>>,
}

impl Disassociation {
    /// The project ids of each call, in arrival order.
    pub fn calls(&self) -> Vec<Vec<String>> {
        self.calls_made
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.1.clone())
            .collect()
    }

    /// When each call arrived.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.calls_made
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.0)
            .collect()
    }

    /// A stand-in serving this script for disassociation.
    pub async fn serve(&self) -> MockServer {
        serving(DISASSOCIATE_PATH, self.clone()).await
    }

    /// A stand-in serving this script for the operation at `path_`
    /// (`ASSOCIATE_PATH` or `DISASSOCIATE_PATH`): both answer alike.
    pub async fn serve_at(&self, path_: &str) -> MockServer {
        serving(path_, self.clone()).await
    }
}

impl Respond for Disassociation {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let items = requested_items(req);
        assert!(
            !items.is_empty() && items.len() <= 25,
            "service limit broken: {} items",
            items.len()
        );
        let ids: Vec<String> = items
            .iter()
            .map(|i| i["resource"]["projectId"].as_str().unwrap().to_string())
            .collect();
        self.calls_made
            .lock()
            .unwrap()
            .push((Instant::now(), ids.clone()));
        if self.quota.as_ref().is_some_and(|q| !q.take()) {
            return aws_error_answer(429, "ThrottlingException").set_delay(self.delay);
        }
        if self.broken.as_ref().is_some_and(|b| ids.contains(b)) {
            return aws_error_answer(500, "InternalServerException");
        }
        {
            let mut throttled = self.times_throttled.lock().unwrap();
            let due: Vec<&String> = ids
                .iter()
                .filter(|id| {
                    self.throttle
                        .get(*id)
                        .is_some_and(|n| throttled.get(*id).copied().unwrap_or(0) < *n)
                })
                .collect();
            if !due.is_empty() {
                for id in due {
                    *throttled.entry(id.clone()).or_default() += 1;
                }
                return aws_error_answer(429, "ThrottlingException");
            }
        }
        let mut answered = self.answered.lock().unwrap();
        let (mut ok, mut failed) = (vec![], vec![]);
        let mut seen = self.times_sent.lock().unwrap();
        for (item, id) in items.into_iter().zip(ids) {
            let n = seen.entry(id.clone()).or_default();
            *n += 1;
            if self.omit.contains(&id) {
                continue;
            }
            let times = if self.twice.contains(&id) { 2 } else { 1 };
            let flaky = *n == 1
                && self
                    .flaky_set
                    .get_or_init(|| self.flaky.iter().cloned().collect())
                    .contains(&id);
            let code = match self.fail.get(&id) {
                Some(code) => Some(*code),
                None if flaky => Some("INTERNAL_ERROR"),
                None => None,
            };
            if code != Some("INTERNAL_ERROR") {
                *answered.entry(id.clone()).or_default() += 1;
            }
            for _ in 0..times {
                match code {
                    Some("INTERNAL_ERROR") if flaky => {
                        failed.push(failed_item(&item, "INTERNAL_ERROR", "try again"))
                    }
                    Some(code) => {
                        failed.push(failed_item(&item, code, &format!("{code} for {id}")))
                    }
                    None => ok.push(item.clone()),
                }
            }
        }
        ok.push(json!({"scanConfigurationArn": CONFIG_ARN,
                       "resource": {"projectId": "project-ffffffff-ffff-ffff-ffff-ffffffffffff"}}));
        ResponseTemplate::new(200)
            .set_delay(self.delay)
            .set_body_json(json!({"successfulAssociations": ok, "failedAssociations": failed}))
    }
}

/// Asserts that `project(0..n)` each appear exactly once across the two
/// lists of a disassociation result, and nothing else does; returns
/// `(successful, failed)`.
pub fn accounted(result: &Value, n: usize) -> (usize, usize) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for list in ["successfulAssociations", "failedAssociations"] {
        for item in result[list].as_array().unwrap() {
            *seen
                .entry(item["resource"]["projectId"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    for i in 0..n {
        assert_eq!(
            seen.remove(&project(i)),
            Some(1),
            "{} not accounted exactly once",
            project(i)
        );
    }
    assert!(seen.is_empty(), "items nobody sent: {seen:?}");
    (
        result["successfulAssociations"].as_array().unwrap().len(),
        result["failedAssociations"].as_array().unwrap().len(),
    )
}

/// For a test that needs the process to itself (a process-global metrics
/// recorder): true in a process of its own, where the test goes on; false
/// in the test binary's shared process, where it runs this test again as a
/// child (`--exact`), asserts that it passed, and the caller returns.
/// `module` is the caller's `module_path!()`, `test` its function name.
pub fn in_own_process(module: &str, test: &str) -> bool {
    const VAR: &str = "IT_OWN_PROCESS";
    let name = format!(
        "{}::{test}",
        module.split_once("::").map_or(module, |m| m.1)
    );
    if std::env::var(VAR).is_ok_and(|v| v == name) {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(VAR, &name)
        .output()
        .expect("the test binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{name} in its own process:\n{text}");
    assert!(
        text.contains("1 passed"),
        "{name} ran in its own process:\n{text}"
    );
    false
}
