//! Reports on the commit in tests: a GitHub stand-in (a GitHub App's API:
//! installation look-up and token exchange, each checking the app JWT
//! with the public half of the test-only key in tests/fixtures; check runs
//! by installation token), a GitLab stand-in (commit statuses by
//! `PRIVATE-TOKEN`), and on the Inspector stand-in's endpoint the AWS
//! calls the watch path makes: Secrets Manager by secret id, the FIFO watch
//! queue (SendMessageBatch recorded, ChangeMessageVisibility taken) and
//! PutEvents (recorded). [`Rig::watch_all`] plays Lambda's event source
//! mapping for the watch queue: each watch handed back until it is done.

use super::results::{Running, running_stand_in};
use super::webhooks::{LOCAL_GITHUB_SECRET, LOCAL_GITLAB_TOKEN, SECRET_ARN, local_secret};
use super::{PROJECT, PROJECT2, event, live_app_with, load_event};
use inspector_scan_router::{App, Settings};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{any, header, method};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const APP_ID: &str = "424242";
pub const INSTALLATION: u64 = 31_337;
pub const GITLAB_TOKEN: &str = "glpat-test-only-token-value";
pub const GITHUB_APP_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:inspector-scan-router-github-app-AbCdEf";
pub const GITLAB_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:inspector-scan-router-gitlab-AbCdEf";
pub const WATCH_URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/watch.fifo";
pub const WATCH_ARN: &str = "arn:aws:sqs:us-east-1:123456789012:watch.fifo";
pub const GITHUB_SHA: &str = "9fceb02d0ae598e95dc970b74767f19372d61af8";
pub const GITLAB_SHA: &str = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The test-only private key (tests/fixtures/README.md).
pub fn private_key() -> String {
    fixture("TEST-ONLY-github-app-key.pem")
}

/// GitHub's state: installation tokens issued, check runs, every call.
#[derive(Default)]
pub struct Hub {
    /// Answer the first this many calls 503.
    pub fail_first: usize,
    /// Each token exchange answers after this long.
    pub exchange_delay: Duration,
    pub calls: Vec<(String, String)>,
    /// Tokens issued (each is one exchange).
    pub tokens: Vec<String>,
    pub check_runs: Vec<Value>,
    /// What was wrong with a JWT or a token, if anything.
    pub refused: Vec<String>,
}

/// A server that hands every request to `responder`.
async fn every_request(responder: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(responder)
        .mount(&server)
        .await;
    server
}

#[derive(Clone, Default)]
pub struct GitHubStandIn(pub Arc<Mutex<Hub>>);

fn gh(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

impl GitHubStandIn {
    pub async fn serve(&self) -> MockServer {
        every_request(self.clone()).await
    }

    pub fn hub(&self) -> std::sync::MutexGuard<'_, Hub> {
        self.0.lock().unwrap()
    }

    /// The app JWT, checked as GitHub does: RS256 under the app's public
    /// key, `iss` the app id, issued in the past, at most 10 minutes long.
    fn jwt_ok(req: &Request) -> Result<(), String> {
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let jwt = auth
            .and_then(|a| a.strip_prefix("Bearer "))
            .ok_or("no Bearer JWT")?;
        let key = DecodingKey::from_rsa_pem(fixture("TEST-ONLY-github-app-key.pub.pem").as_bytes())
            .unwrap();
        let mut v = Validation::new(Algorithm::RS256);
        v.set_issuer(&[APP_ID]);
        v.set_required_spec_claims(&["exp", "iat", "iss"]);
        let claims = jsonwebtoken::decode::<Value>(jwt, &key, &v)
            .map_err(|e| format!("JWT refused: {e}"))?
            .claims;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let (iat, exp) = (
            claims["iat"].as_i64().unwrap(),
            claims["exp"].as_i64().unwrap(),
        );
        if iat > now - 30 || exp - iat > 600 {
            return Err(format!("JWT times: iat {iat}, exp {exp}, now {now}"));
        }
        Ok(())
    }

    fn respond_to(&self, req: &Request) -> ResponseTemplate {
        let mut hub = self.0.lock().unwrap();
        let path = req.url.path().to_string();
        let m = req.method.to_string();
        hub.calls.push((m.clone(), path.clone()));
        if hub.calls.len() <= hub.fail_first {
            return gh(503, json!({"message": "Service Unavailable"}));
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if parts.first() == Some(&"app") || parts.last() == Some(&"installation") {
            if let Err(why) = Self::jwt_ok(req) {
                hub.refused.push(why);
                return gh(
                    401,
                    json!({"message": "A JSON web token could not be decoded"}),
                );
            }
            if parts.last() == Some(&"installation") {
                return gh(200, json!({"id": INSTALLATION, "app_id": 424242}));
            }
            assert_eq!(
                path,
                format!("/app/installations/{INSTALLATION}/access_tokens")
            );
            let token = format!("ghs_test-only-token-{}", hub.tokens.len() + 1);
            hub.tokens.push(token.clone());
            return gh(
                201,
                json!({"token": token, "expires_at": "2099-01-01T00:00:00Z"}),
            );
        }
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let token = auth
            .and_then(|a| a.strip_prefix("token "))
            .unwrap_or_default()
            .to_string();
        if !hub.tokens.contains(&token) {
            hub.refused
                .push(format!("{m} {path}: not an installation token"));
            return gh(401, json!({"message": "Bad credentials"}));
        }
        assert_eq!(&parts[..3], ["repos", "octo-org", "payments-api"], "{path}");
        match (m.as_str(), &parts[3..]) {
            ("GET", ["commits", sha, "check-runs"]) => {
                let name: String = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "check_name")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default();
                let runs: Vec<Value> = hub
                    .check_runs
                    .iter()
                    .filter(|r| r["head_sha"] == *sha && r["name"] == name.as_str())
                    .cloned()
                    .collect();
                gh(200, json!({"total_count": runs.len(), "check_runs": runs}))
            }
            ("POST", ["check-runs"]) => {
                let mut run: Value = serde_json::from_slice(&req.body).unwrap();
                run["id"] = (hub.check_runs.len() as u64 + 1000).into();
                run["history"] = json!([run["status"].clone()]);
                hub.check_runs.push(run.clone());
                gh(201, run)
            }
            ("PATCH", ["check-runs", id]) => {
                let id: u64 = id.parse().unwrap();
                let patch: Value = serde_json::from_slice(&req.body).unwrap();
                let Some(run) = hub.check_runs.iter_mut().find(|r| r["id"] == id) else {
                    return gh(404, json!({"message": "Not Found"}));
                };
                for (k, v) in patch.as_object().unwrap() {
                    run[k] = v.clone();
                }
                let status = run["status"].clone();
                run["history"].as_array_mut().unwrap().push(status);
                gh(200, run.clone())
            }
            _ => gh(404, json!({"message": "Not Found"})),
        }
    }
}

impl Respond for GitHubStandIn {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.respond_to(req)
    }
}

/// GitLab's commit statuses: (project, sha, state, name, description, target_url).
#[derive(Clone, Default)]
pub struct GitLabStandIn(pub Arc<Mutex<Vec<Value>>>);

impl GitLabStandIn {
    pub async fn serve(&self) -> MockServer {
        every_request(self.clone()).await
    }

    pub fn statuses(&self) -> Vec<Value> {
        self.0.lock().unwrap().clone()
    }
}

impl Respond for GitLabStandIn {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if req
            .headers
            .get("private-token")
            .and_then(|v| v.to_str().ok())
            != Some(GITLAB_TOKEN)
        {
            return gh(401, json!({"message": "401 Unauthorized"}));
        }
        let path = req.url.path().to_string();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let ["api", "v4", "projects", project, "statuses", sha] = parts[..] else {
            return gh(404, json!({"message": "404 Not Found"}));
        };
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let mut all = self.0.lock().unwrap();
        let last = all
            .iter()
            .rev()
            .find(|s| s["sha"] == sha && s["name"] == body["name"]);
        if last.is_some_and(|s| s["state"] == body["state"]) {
            return gh(
                400,
                json!({"message": "Cannot transition status via :run from :running"}),
            );
        }
        let mut status = body.clone();
        status["project"] = project.into();
        status["sha"] = sha.into();
        all.push(status.clone());
        gh(201, status)
    }
}

/// The AWS side of the watch path, on the Inspector stand-in's endpoint.
#[derive(Clone, Default)]
pub struct Aws {
    /// Watch bodies sent, in order.
    pub watches: Arc<Mutex<Vec<String>>>,
    /// Results events put.
    pub events: Arc<Mutex<Vec<Value>>>,
    /// SecretIds read.
    pub secrets_read: Arc<Mutex<Vec<String>>>,
}

impl Respond for Aws {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let target = req
            .headers
            .get("x-amz-target")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let ok = |b: Value| {
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-amz-json-1.1")
                .set_body_json(b)
        };
        match target.as_str() {
            "AmazonSQS.SendMessageBatch" => {
                let entries = body["Entries"].as_array().unwrap();
                let mut watches = self.watches.lock().unwrap();
                let ok_entries: Vec<Value> = entries
                    .iter()
                    .map(|e| {
                        watches.push(e["MessageBody"].as_str().unwrap().to_string());
                        json!({"Id": e["Id"], "MessageId": format!("w-{}", watches.len()),
                               "MD5OfMessageBody": "0"})
                    })
                    .collect();
                ok(json!({"Successful": ok_entries, "Failed": []}))
            }
            "AmazonSQS.ChangeMessageVisibility" => ok(json!({})),
            "AWSEvents.PutEvents" => {
                for e in body["Entries"].as_array().unwrap() {
                    let detail: Value =
                        serde_json::from_str(e["Detail"].as_str().unwrap()).unwrap();
                    self.events.lock().unwrap().push(detail);
                }
                ok(json!({"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}))
            }
            "secretsmanager.GetSecretValue" => {
                let id = body["SecretId"].as_str().unwrap().to_string();
                let stage = body["VersionStage"].as_str().unwrap_or("AWSCURRENT");
                self.secrets_read.lock().unwrap().push(id.clone());
                let value = match (id.as_str(), stage) {
                    (SECRET_ARN, "AWSCURRENT") => Some(local_secret()),
                    (GITHUB_APP_ARN, "AWSCURRENT") => {
                        Some(json!({"appId": APP_ID, "privateKey": private_key()}).to_string())
                    }
                    (GITLAB_ARN, "AWSCURRENT") => Some(json!({"token": GITLAB_TOKEN}).to_string()),
                    _ => None,
                };
                match value {
                    Some(v) => ok(json!({"ARN": id, "Name": "s", "SecretString": v,
                                         "VersionStages": [stage]})),
                    None => ResponseTemplate::new(400)
                        .insert_header("content-type", "application/x-amz-json-1.1")
                        .set_body_json(json!({"__type": "ResourceNotFoundException",
                                              "message": "no such version"})),
                }
            }
            other => panic!("unexpected AWS call {other}"),
        }
    }
}

/// Everything a report test needs: Inspector (scans that run one look),
/// the AWS side, GitHub and GitLab, and settings reporting to both.
pub struct Rig {
    pub inspector: MockServer,
    pub aws: Aws,
    pub github: GitHubStandIn,
    pub github_server: MockServer,
    pub gitlab: GitLabStandIn,
    pub gitlab_server: MockServer,
    pub settings: Settings,
    /// Watches handed out and not done: (index, body, receive count).
    pending: Mutex<Vec<(usize, String, u32)>>,
    seen: std::sync::atomic::AtomicUsize,
}

impl Rig {
    pub async fn new(gate: &str) -> Rig {
        let (inspector, _) = running_stand_in(Running {
            in_progress: 1,
            ..Running::default()
        })
        .await;
        let aws = Aws::default();
        Mock::given(method("POST"))
            .and(header("content-type", "application/x-amz-json-1.1"))
            .respond_with(aws.clone())
            .mount(&inspector)
            .await;
        Mock::given(method("POST"))
            .and(header("content-type", "application/x-amz-json-1.0"))
            .respond_with(aws.clone())
            .mount(&inspector)
            .await;
        let github = GitHubStandIn::default();
        let github_server = github.serve().await;
        let gitlab = GitLabStandIn::default();
        let gitlab_server = gitlab.serve().await;
        let mut s = Settings::default();
        s.webhooks.secret_arn = Some(SECRET_ARN.into());
        s.resolve.project_map = HashMap::from([
            ("octo-org/payments-api".to_string(), PROJECT.to_string()),
            ("deploy-bot".to_string(), PROJECT2.to_string()),
        ]);
        s.results.watch_queue_url = Some(WATCH_URL.into());
        s.results.watch_queue_arn = Some(WATCH_ARN.into());
        s.results.first_delay = Duration::from_secs(1);
        s.report.github = true;
        s.report.gitlab = true;
        s.report.gate = inspector_scan_router::domain::verdict::Gate::parse(gate).unwrap();
        s.report.github_api_url = github_server.uri();
        s.report.github_app_secret_arn = Some(GITHUB_APP_ARN.into());
        s.report.gitlab_api_url = Some(format!("{}/api/v4", gitlab_server.uri()));
        s.report.gitlab_token_secret_arn = Some(GITLAB_ARN.into());
        Rig {
            inspector,
            aws,
            github,
            github_server,
            gitlab,
            gitlab_server,
            settings: s,
            pending: Mutex::default(),
            seen: Default::default(),
        }
    }

    /// A new execution environment of the function (its own caches).
    pub async fn app(&self) -> App {
        live_app_with(&self.inspector, self.settings.clone(), 1).await
    }

    /// Lambda's mapping for the watch queue: every watch sent so far (and
    /// not yet done) handed to `app` again until it is done; the rounds
    /// it took. Panics after `max` rounds.
    pub async fn watch_all(&self, app: &App, max: usize) -> usize {
        let mut rounds = 0;
        while self.look_once(app).await > 0 {
            rounds += 1;
            assert!(rounds < max, "watches still pending after {max} rounds");
        }
        rounds + 1
    }

    /// One look at each watch pending (sent and not done): the number
    /// still pending after it.
    pub async fn look_once(&self, app: &App) -> usize {
        let sent: Vec<String> = self.aws.watches.lock().unwrap().drain(..).collect();
        let mut pending = std::mem::take(&mut *self.pending.lock().unwrap());
        for body in sent {
            let i = self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            pending.push((i, body, 1));
        }
        let mut next = Vec::new();
        for (i, body, count) in pending {
            let answer = app
                .handle(event(watch_event(i, &body, count)))
                .await
                .unwrap();
            let again = answer["batchItemFailures"]
                .as_array()
                .is_some_and(|f| !f.is_empty());
            if again {
                next.push((i, body, count + 1));
            }
        }
        let left = next.len();
        *self.pending.lock().unwrap() = next;
        left
    }
}

/// An SQS event from the watch queue carrying one watch.
pub fn watch_event(i: usize, body: &str, count: u32) -> Value {
    let mut r = load_event("sqs-work-queue.json")["Records"][0].clone();
    r["messageId"] = format!("watch-{i}").into();
    r["receiptHandle"] = format!("handle-watch-{i}").into();
    r["body"] = body.into();
    r["md5OfBody"] = Value::Null;
    r["attributes"]["ApproximateReceiveCount"] = count.to_string().into();
    r["attributes"]["MessageGroupId"] = format!("g-{i}").into();
    r["messageAttributes"] = json!({});
    r["eventSourceARN"] = WATCH_ARN.into();
    json!({"Records": [r]})
}

/// The bundled GitHub push with the App's `installation` added, signed.
pub fn github_app_push(delivery: &str) -> Value {
    let mut body = super::webhooks::payload_of("webhook-github-push.json");
    body["installation"] =
        json!({"id": INSTALLATION, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ=="});
    super::webhooks::signed_github("push", &body.to_string(), LOCAL_GITHUB_SECRET, delivery)
}

/// The bundled GitLab push delivery, with its token.
pub fn gitlab_push() -> Value {
    let body = load_event("webhook-gitlab-push.json")["body"]
        .as_str()
        .unwrap()
        .to_string();
    super::webhooks::gitlab_delivery("Push Hook", &body, Some(LOCAL_GITLAB_TOKEN))
}
