//! Webhook test support: a stand-in for AWS Secrets Manager (`GetSecretValue`
//! by version stage, counting calls), signatures, and deliveries built from
//! the bundled webhook events.

use super::stateful::{Inspector, stateful_stand_in};
use super::{PROJECT, PROJECT2, live_app_with, load_event};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use inspector_scan_router::config::WebhookSettings;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The local test secret the bundled webhook events are signed with
/// (docs/WEBHOOKS.md#trying-them-locally; scripts/run-local supplies it).
pub const LOCAL_GITHUB_SECRET: &str = "run-local-github-webhook-secret";
pub const LOCAL_GITLAB_TOKEN: &str = "run-local-gitlab-webhook-token";

pub const SECRET_ARN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:inspector-scan-router-webhooks-AbCdEf";

/// The bundled webhook deliveries; covered by tests/it/webhooks.rs.
pub const WEBHOOK_EVENTS: [&str; 3] = [
    "webhook-github-ping.json",
    "webhook-github-push.json",
    "webhook-gitlab-push.json",
];

/// `{"github": .., "gitlab": ..}` with the keys given.
pub fn secret_json(github: Option<&str>, gitlab: Option<&str>) -> String {
    let mut v = json!({});
    if let Some(g) = github {
        v["github"] = g.into();
    }
    if let Some(g) = gitlab {
        v["gitlab"] = g.into();
    }
    v.to_string()
}

/// The bundled events' secret, as the stack stores it.
pub fn local_secret() -> String {
    secret_json(Some(LOCAL_GITHUB_SECRET), Some(LOCAL_GITLAB_TOKEN))
}

/// What the stand-in holds and what it was asked.
#[derive(Default)]
pub struct Vault {
    /// SecretString of AWSCURRENT; `None`: ResourceNotFoundException.
    pub current: Option<String>,
    /// SecretString of AWSPREVIOUS; `None`: ResourceNotFoundException (never rotated).
    pub previous: Option<String>,
    /// Answer every call with this HTTP status and error type instead.
    pub failing: Option<(u16, &'static str)>,
    pub delay: Duration,
    /// How long ago the AWSCURRENT version was created (its `CreatedDate`);
    /// `None`: an hour ago.
    pub current_age: Option<Duration>,
    /// (SecretId, VersionStage) of each call.
    pub calls: Vec<(String, String)>,
}

/// A Secrets Manager stand-in (awsJson1.1, `secretsmanager.GetSecretValue`).
#[derive(Clone, Default)]
pub struct SecretsManager(pub Arc<Mutex<Vault>>);

impl SecretsManager {
    pub fn holding(current: &str, previous: Option<&str>) -> Self {
        Self(Arc::new(Mutex::new(Vault {
            current: Some(current.to_string()),
            previous: previous.map(str::to_string),
            ..Vault::default()
        })))
    }

    pub async fn mount(&self, server: &MockServer) {
        Mock::given(method("POST"))
            .and(header("x-amz-target", "secretsmanager.GetSecretValue"))
            .respond_with(self.clone())
            .mount(server)
            .await;
    }

    pub fn calls(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap().calls.clone()
    }

    pub fn set(&self, f: impl FnOnce(&mut Vault)) {
        f(&mut self.0.lock().unwrap());
    }
}

fn aws_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/x-amz-json-1.1")
        .set_body_json(json!({"__type": code, "message": message}))
}

impl Respond for SecretsManager {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let id = body["SecretId"].as_str().unwrap().to_string();
        let stage = body["VersionStage"]
            .as_str()
            .unwrap_or("AWSCURRENT")
            .to_string();
        let mut vault = self.0.lock().unwrap();
        vault.calls.push((id.clone(), stage.clone()));
        if let Some((status, code)) = vault.failing {
            return aws_error(status, code, "the stand-in was told to fail").set_delay(vault.delay);
        }
        let value = match stage.as_str() {
            "AWSCURRENT" => vault.current.clone(),
            "AWSPREVIOUS" => vault.previous.clone(),
            _ => None,
        };
        match value {
            None => aws_error(
                400,
                "ResourceNotFoundException",
                &format!("Secrets Manager can't find the specified secret value for staging label: {stage}"),
            ),
            Some(text) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap();
                let age = vault.current_age.unwrap_or(Duration::from_secs(3600));
                // The previous version was created long before the current one.
                let created = match stage.as_str() {
                    "AWSCURRENT" => now.saturating_sub(age),
                    _ => now.saturating_sub(age + Duration::from_secs(90 * 86_400)),
                };
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/x-amz-json-1.1")
                    .set_body_json(json!({
                        "ARN": id, "Name": "inspector-scan-router-webhooks",
                        "VersionId": format!("{stage}-version"), "SecretString": text,
                        "VersionStages": [stage], "CreatedDate": created.as_secs_f64()
                    }))
            }
        }
        .set_delay(vault.delay)
    }
}

/// `sha256=<hex HMAC-SHA256 of body under secret>`, as GitHub signs.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The bundled GitHub push delivery with `event`, `body` (sent as is,
/// `content_type`), the `signature` header when given, and `delivery` id.
pub fn github_delivery(event: &str, body: &str, signature: Option<&str>, delivery: &str) -> Value {
    let mut e = load_event("webhook-github-push.json");
    let headers = e["headers"].as_object_mut().unwrap();
    headers.remove("x-hub-signature");
    headers.remove("x-hub-signature-256");
    headers.insert("x-github-event".into(), event.into());
    headers.insert("x-github-delivery".into(), delivery.into());
    headers.insert("content-length".into(), body.len().to_string().into());
    if let Some(s) = signature {
        headers.insert("x-hub-signature-256".into(), s.into());
    }
    e["body"] = body.into();
    e
}

/// A GitHub delivery signed with `secret`.
pub fn signed_github(event: &str, body: &str, secret: &str, delivery: &str) -> Value {
    github_delivery(event, body, Some(&sign(secret, body.as_bytes())), delivery)
}

/// The bundled GitLab push delivery with `event`, `body` and the `token`
/// header when given.
pub fn gitlab_delivery(event: &str, body: &str, token: Option<&str>) -> Value {
    let mut e = load_event("webhook-gitlab-push.json");
    let headers = e["headers"].as_object_mut().unwrap();
    headers.remove("x-gitlab-token");
    headers.insert("x-gitlab-event".into(), event.into());
    if let Some(t) = token {
        headers.insert("x-gitlab-token".into(), t.into());
    }
    e["body"] = body.into();
    e
}

/// The delivery with its body base64-encoded, as API Gateway sends bodies it
/// takes for binary.
pub fn base64_body(mut e: Value) -> Value {
    let body = e["body"].as_str().unwrap().to_string();
    e["body"] = base64::engine::general_purpose::STANDARD
        .encode(body)
        .into();
    e["isBase64Encoded"] = true.into();
    e
}

/// The body of a bundled event, parsed.
pub fn payload_of(file: &str) -> Value {
    serde_json::from_str(load_event(file)["body"].as_str().unwrap()).unwrap()
}

/// Settings for webhooks signed with the secret at [`SECRET_ARN`], read
/// again after `ttl`, the last good one kept for `grace` through an outage;
/// the bundled pushes' repositories mapped to their projects.
pub fn secret_settings(ttl: Duration, grace: Duration) -> Settings {
    let mut s = Settings {
        webhooks: WebhookSettings {
            secret_arn: Some(SECRET_ARN.into()),
            secret_ttl: ttl,
            secret_grace: grace,
            ..WebhookSettings::default()
        },
        ..super::settings()
    };
    s.resolve.project_map = HashMap::from([
        ("octo-org/payments-api".to_string(), PROJECT.to_string()),
        ("deploy-bot".to_string(), PROJECT2.to_string()),
    ]);
    s
}

/// The stateful Inspector and a Secrets Manager stand-in on one endpoint,
/// and the function aimed at it.
pub async fn with_vault(
    vault: &SecretsManager,
    settings: Settings,
) -> (MockServer, Inspector, App) {
    let (server, inspector) = stateful_stand_in(HashMap::new()).await;
    vault.mount(&server).await;
    let app = live_app_with(&server, settings, 1).await;
    (server, inspector, app)
}
