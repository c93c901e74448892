//! Webhooks straight from GitHub and GitLab. A delivery is verified against
//! the provider's secret before anything of it is read: GitHub's
//! `X-Hub-Signature-256` (HMAC-SHA256 of the raw body, as GitHub sent it),
//! GitLab's `X-Gitlab-Token`, both compared in constant time. Then it is
//! decoded: a push goes through the same handling as an EventBridge push
//! ([`push::decide`], its client token from provider, repository and commit),
//! a ping is answered, any other event acknowledged and ignored.

use super::body::decode_body;
use super::encode::{HttpAnswer, http_error};
use super::http::HttpRequest;
use super::push::{self, Push};
use crate::domain::error::{MAX_SHOWN, bounded};
use crate::domain::{Action, Error, FieldError, Outcome, Provider, Skip};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub use super::routes::{WEBHOOK_ROUTES, provider_for};

const GITHUB_SIGNATURE: &str = "X-Hub-Signature-256";
const GITLAB_TOKEN: &str = "X-Gitlab-Token";

/// The header naming the event.
fn event_header(provider: Provider) -> &'static str {
    match provider {
        Provider::GitHub => "X-GitHub-Event",
        Provider::GitLab => "X-Gitlab-Event",
    }
}

/// The header naming the delivery (new on each redelivery).
fn delivery_header(provider: Provider) -> &'static str {
    match provider {
        Provider::GitHub => "X-GitHub-Delivery",
        Provider::GitLab => "X-Gitlab-Event-UUID",
    }
}

/// The body's bytes as the sender signed them: base64-decoded when API
/// Gateway marked it so, and no larger than `max` (checked before any
/// signature work).
pub fn raw_body(req: &HttpRequest, max: usize) -> Result<Vec<u8>, Error> {
    Ok(
        decode_body(req.body.as_deref(), req.is_base64_encoded, max)?
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default(),
    )
}

/// Checks the delivery's signature (GitHub) or token (GitLab) against each
/// of `secrets` (current, then previous). Missing, malformed, truncated or
/// wrong: [`Error::InvalidSignature`], which says nothing of what was sent.
pub fn verify(
    req: &HttpRequest,
    provider: Provider,
    body: &[u8],
    secrets: &[String],
) -> Result<(), Error> {
    let valid = match provider {
        Provider::GitHub => req
            .header(GITHUB_SIGNATURE)
            .and_then(github_signature)
            .is_some_and(|sig| secrets.iter().any(|s| github_signs(s, body, &sig))),
        Provider::GitLab => req
            .header(GITLAB_TOKEN)
            .is_some_and(|token| secrets.iter().any(|s| same_token(s, token))),
    };
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidSignature {
            provider: provider.title(),
        })
    }
}

/// The signature (GitHub) or token (GitLab) header is there, once, and has
/// its shape: `sha256=` and 64 hex digits; a token of 1-1,024 printable
/// characters. Checked before the secret is read, so a request without one
/// costs no Secrets Manager call. [`Error::InvalidSignature`] otherwise.
pub fn signature_present(req: &HttpRequest, provider: Provider) -> Result<(), Error> {
    let name = match provider {
        Provider::GitHub => GITHUB_SIGNATURE,
        Provider::GitLab => GITLAB_TOKEN,
    };
    let mut values = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name));
    let shaped = match (values.next(), values.next()) {
        (Some((_, v)), None) => match provider {
            Provider::GitHub => v
                .strip_prefix("sha256=")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
            Provider::GitLab => {
                !v.is_empty() && v.len() <= 1024 && !v.chars().any(char::is_control)
            }
        },
        _ => false,
    };
    if shaped {
        Ok(())
    } else {
        Err(Error::InvalidSignature {
            provider: provider.title(),
        })
    }
}

/// `sha256=<hex>` to its bytes; any other form is no signature.
fn github_signature(header: &str) -> Option<Vec<u8>> {
    hex::decode(header.strip_prefix("sha256=")?).ok()
}

/// Is `signature` the HMAC-SHA256 of `body` under `secret`? Compared in
/// constant time by the `hmac` crate (a shorter signature is no match).
pub fn github_signs(secret: &str, body: &[u8], signature: &[u8]) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(signature).is_ok()
}

/// GitLab sends the token itself. Compared as SHA-256 digests in constant
/// time, so that the time taken shows neither the secret's content nor its length.
fn same_token(secret: &str, given: &str) -> bool {
    let (a, b) = (
        Sha256::digest(secret.as_bytes()),
        Sha256::digest(given.as_bytes()),
    );
    a.as_slice().ct_eq(b.as_slice()).into()
}

/// What a verified delivery asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Asks {
    /// GitHub's ping when a webhook is created: answered 200.
    Ping,
    /// An event this function does not act on: acknowledged (202) with the reason.
    Ignored(String),
    /// A push: a scan, or a skip with its reason (another branch, a tag, a deletion).
    Run(Action),
}

/// A verified delivery, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub provider: Provider,
    /// The event header's value, escaped and bounded for logs.
    pub event: String,
    /// The delivery id header's value (`X-GitHub-Delivery`,
    /// `X-Gitlab-Event-UUID`), escaped and bounded for logs.
    pub id: Option<String>,
    pub asks: Asks,
    /// The commit a push's scan reports on (`push::target`).
    pub target: Option<crate::domain::verdict::Target>,
}

/// Decode a delivery that [`verify`] accepted.
pub fn decode(req: &HttpRequest, provider: Provider, body: &[u8]) -> Result<Delivery, Error> {
    let header = event_header(provider);
    let event = req
        .header(header)
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| Error::invalid_field(header, "is required: it names the event"))?;
    let ignored = |handled: &str| {
        Asks::Ignored(format!(
            "{} event \"{}\" is not acted on: only {handled}",
            provider.title(),
            bounded(event, MAX_SHOWN)
        ))
    };
    let mut target = None;
    let asks = match (provider, event) {
        (Provider::GitHub, "ping") => Asks::Ping,
        (Provider::GitHub, "push") => {
            let payload = payload(req, body)?;
            if payload.get("object_kind").is_some() || !push::is_push("push", &payload) {
                return Err(Error::invalid_field(
                    "repository.full_name",
                    "is required: not a GitHub push payload",
                ));
            }
            target = push::target(&payload);
            Asks::Run(push_action(provider, &payload)?)
        }
        (Provider::GitHub, _) => ignored("push and ping are"),
        (Provider::GitLab, "Push Hook" | "Tag Push Hook" | "System Hook") => {
            let payload = payload(req, body)?;
            let kind = payload.get("object_kind").and_then(Value::as_str);
            match (event, kind) {
                ("Push Hook", Some("push"))
                | ("Tag Push Hook", Some("tag_push"))
                | ("System Hook", Some("push" | "tag_push")) => {
                    target = push::target(&payload);
                    Asks::Run(push_action(provider, &payload)?)
                }
                ("System Hook", _) => ignored("push and tag push system hooks are"),
                _ => {
                    return Err(Error::invalid_field(
                        "object_kind",
                        format!("does not match the {header} header"),
                    ));
                }
            }
        }
        (Provider::GitLab, _) => ignored("Push Hook and Tag Push Hook are"),
    };
    Ok(Delivery {
        provider,
        event: bounded(event, MAX_SHOWN),
        id: req
            .header(delivery_header(provider))
            .map(|v| bounded(v, MAX_SHOWN)),
        asks,
        target,
    })
}

/// The JSON payload: the body itself (`application/json`), or its
/// `payload` field (`application/x-www-form-urlencoded`, which GitHub offers).
/// Read once the signature holds, so from the provider itself: parsed as is.
fn payload(req: &HttpRequest, body: &[u8]) -> Result<Value, Error> {
    let media = req
        .header("content-type")
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "" | "application/json" => json_payload(body),
        "application/x-www-form-urlencoded" => {
            let mut payloads = form_urlencoded::parse(body)
                .filter(|(k, _)| k == "payload")
                .map(|(_, v)| v);
            let Some(first) = payloads.next() else {
                return Err(Error::malformed("the form body has no payload field"));
            };
            if payloads.next().is_some() {
                return Err(Error::malformed(
                    "the form body has more than one payload field",
                ));
            }
            json_payload(first.as_bytes())
        }
        other => Err(Error::malformed(format!(
            "content type \"{}\" is not accepted: application/json or application/x-www-form-urlencoded",
            bounded(other, MAX_SHOWN)
        ))),
    }
}

fn json_payload(bytes: &[u8]) -> Result<Value, Error> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(Error::malformed("the payload must be a JSON object")),
        Err(e) => Err(Error::malformed(format!(
            "the payload is not valid JSON: {e}"
        ))),
    }
}

/// A push, as an EventBridge push is handled: [`push::decide`], and every
/// delivery of one push (a redelivery has a new delivery id) keyed on
/// provider, repository and commit, so it starts one scan.
fn push_action(provider: Provider, payload: &Value) -> Result<Action, Error> {
    match push::decide(payload).map_err(in_body)? {
        Push::Skip(skip) => Ok(Action::Skip(skip)),
        Push::Scan {
            provider: decided,
            repository,
            after,
            ..
        } => {
            if decided != provider.key() {
                return Err(Error::invalid_field(
                    "body",
                    format!("is not a {} push payload", provider.title()),
                ));
            }
            if after.is_empty() {
                return Err(Error::invalid_field(
                    "after",
                    "is required: a push's scan is keyed on its commit",
                ));
            }
            Ok(Action::push_scan(decided, repository, &after, None))
        }
    }
}

/// [`push::decide`] names fields inside an EventBridge `detail`; here the
/// payload is the body.
fn in_body(e: Error) -> Error {
    match e {
        Error::InvalidRequest { fields, .. } => Error::invalid(
            fields
                .into_iter()
                .map(|f| {
                    let field = match f.field.strip_prefix("detail") {
                        Some("") => "body".to_string(),
                        Some(rest) => rest.trim_start_matches('.').to_string(),
                        None => f.field,
                    };
                    FieldError { field, ..f }
                })
                .collect(),
        ),
        other => other,
    }
}

/// The answer to a ping (200) or an ignored event (202); `None` for a push,
/// which is answered with its outcome.
pub fn acknowledged(delivery: &Delivery) -> Option<HttpAnswer> {
    let (status, body) = match &delivery.asks {
        Asks::Ping => (200, json!({"event": delivery.event, "received": true})),
        Asks::Ignored(reason) => (
            202,
            json!({"event": delivery.event, "ignored": true, "reason": reason}),
        ),
        Asks::Run(_) => return None,
    };
    Some(HttpAnswer {
        status,
        headers: Vec::new(),
        body,
    })
}

/// A push's result as the sender should see it. A repository Inspector does
/// not cover is a skip: an organisation or group webhook sends every
/// repository's pushes, and GitLab switches a hook off after four failed
/// deliveries in a row. Any other failure to start the scan is a 5xx, which
/// the sender shows and can redeliver: never a 2xx that hides it, nor a 4xx,
/// which older GitLab versions take for a misconfigured hook, off for good.
pub fn push_result(result: Result<Outcome, Error>, action: &Action) -> Result<Outcome, Error> {
    match result {
        Err(Error::Repository {
            code: "RepositoryNotFound",
            message,
        }) => Ok(Outcome::Skipped(Skip {
            reason: format!("{message}; not scanned"),
            repository: Some(action.describe()),
            git_ref: None,
        })),
        other => other,
    }
}

/// The answer to a push whose scan did not start: the error's body, with a
/// 5xx status (503 when a retry may succeed, else 502).
pub fn failed(e: &Error) -> HttpAnswer {
    let mut answer = http_error(e);
    if answer.status < 500 {
        answer.status = if e.retryable() { 503 } else { 502 };
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingress::answer::ErrorAnswer;
    use crate::ingress::{HTTP_ROUTES, HttpFlavor};

    fn request(headers: &[(&str, &str)], body: &str) -> HttpRequest {
        HttpRequest {
            flavor: HttpFlavor::V2,
            method: "POST".into(),
            path: "/webhooks/github".into(),
            base_path: String::new(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: Some(body.into()),
            is_base64_encoded: false,
            ..HttpRequest::default()
        }
    }

    /// GitHub's published example: this secret, this payload, this signature.
    const VECTOR_SECRET: &str = "It's a Secret to Everybody";
    const VECTOR_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_test_vector_verifies_and_nothing_near_it_does() {
        let secrets = [VECTOR_SECRET.to_string()];
        let ok = request(&[(GITHUB_SIGNATURE, VECTOR_SIGNATURE)], "Hello, World!");
        let body = raw_body(&ok, 1024).unwrap();
        assert!(verify(&ok, Provider::GitHub, &body, &secrets).is_ok());
        let truncated = &VECTOR_SIGNATURE[..VECTOR_SIGNATURE.len() - 2];
        let upper = VECTOR_SIGNATURE.replace("sha256=", "SHA256=");
        for bad in [truncated, "sha256=", "", &upper, "sha1=757107ea"] {
            let req = request(&[(GITHUB_SIGNATURE, bad)], "Hello, World!");
            let e = verify(&req, Provider::GitHub, &body, &secrets).unwrap_err();
            assert_eq!(e.http_status(), 401, "{bad}");
        }
        let other_body = b"Hello, World?";
        assert!(verify(&ok, Provider::GitHub, other_body, &secrets).is_err());
        assert!(verify(&ok, Provider::GitHub, &body, &["another".into()]).is_err());
    }

    #[test]
    fn gitlab_tokens_match_whole() {
        let secrets = ["token-1".to_string()];
        let req = |t: &str| request(&[(GITLAB_TOKEN, t)], "{}");
        assert!(verify(&req("token-1"), Provider::GitLab, b"{}", &secrets).is_ok());
        for bad in ["token-", "token-12", "", "TOKEN-1"] {
            assert!(
                verify(&req(bad), Provider::GitLab, b"{}", &secrets).is_err(),
                "{bad}"
            );
        }
        assert!(verify(&request(&[], "{}"), Provider::GitLab, b"{}", &secrets).is_err());
    }

    #[test]
    fn routes_are_declared_with_the_other_http_routes() {
        for (path, _) in WEBHOOK_ROUTES {
            assert!(HTTP_ROUTES.contains(&("POST", path)), "{path}");
            assert!(provider_for(&format!("{path}/")).is_some());
        }
        assert_eq!(provider_for("/webhooks/bitbucket"), None);
    }
}
