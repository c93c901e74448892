//! Work for the queue: what an action leaves to do, as message bodies. Each
//! body is a direct-invocation request (see [`super::message`]) for at most
//! [`ITEMS_PER_MESSAGE`] items, and carries the idempotency of the event
//! the work came from: a scan list carries the base its client tokens
//! derive from (as its `clientToken`), a single scan its own token, a run
//! its name. However often a message is delivered, or its unfinished items
//! queued again, no scan or run starts twice.

use crate::domain::keys::token_base;
use crate::domain::{Action, CONFIGURATIONS_PER_CALL, Error, ScanTarget, StartScan};
use serde_json::{Value, json};

/// Items per message: one scan-configuration call's worth (the service
/// limit), and at most as many scans.
pub const ITEMS_PER_MESSAGE: usize = CONFIGURATIONS_PER_CALL;

/// The bodies of the messages that do `action` (a fan-out), in order.
pub fn messages(action: &Action) -> Result<Vec<String>, Error> {
    let op = action.operation().name();
    let bodies: Vec<Value> = match action {
        Action::Configurations(c) => c.messages(ITEMS_PER_MESSAGE),
        Action::StartCodeSecurityScans(scans) => scan_messages(op, scans),
        Action::StartAssessmentRuns(runs) => runs
            .iter()
            .map(|r| {
                let mut body =
                    json!({"action": op, "assessmentTemplateArn": r.assessment_template_arn});
                if let Some(name) = &r.assessment_run_name {
                    body["assessmentRunName"] = name.clone().into();
                }
                body
            })
            .collect(),
        other => {
            return Err(Error::Internal {
                message: format!(
                    "{} is a single operation; only fan-outs are queued",
                    other.operation().name()
                ),
            });
        }
    };
    Ok(bodies.iter().map(Value::to_string).collect())
}

/// Scans whose tokens derive from one base go together as a list with
/// that base as its `clientToken` (which derives the same token for each
/// target); any other scan goes alone, with its own token.
fn scan_messages(op: &str, scans: &[StartScan]) -> Vec<Value> {
    let mut bodies = Vec::new();
    // (list field, base, targets) of the list being filled
    let mut list: Option<(&str, &str, Vec<&str>)> = None;
    let flush = |list: &mut Option<(&str, &str, Vec<&str>)>, bodies: &mut Vec<Value>| {
        if let Some((field, base, targets)) = list.take() {
            bodies.push(json!({"action": op, field: targets, "clientToken": base}));
        }
    };
    for scan in scans {
        let (field, single, key) = match &scan.target {
            ScanTarget::ProjectId(p) => ("projectIds", "projectId", p.as_str()),
            ScanTarget::Repository(r) => ("repositories", "repository", r.as_str()),
        };
        match scan
            .client_token
            .as_deref()
            .and_then(|t| token_base(t, key))
        {
            Some(base) => {
                let fits = list.as_ref().is_some_and(|(f, b, targets)| {
                    *f == field && *b == base && targets.len() < ITEMS_PER_MESSAGE
                });
                if !fits {
                    flush(&mut list, &mut bodies);
                    list = Some((field, base, Vec::new()));
                }
                if let Some((_, _, targets)) = list.as_mut() {
                    targets.push(key);
                }
            }
            None => {
                flush(&mut list, &mut bodies);
                let mut body = json!({"action": op, single: key});
                if let Some(token) = &scan.client_token {
                    body["clientToken"] = token.clone().into();
                }
                bodies.push(body);
            }
        }
    }
    flush(&mut list, &mut bodies);
    bodies
}

#[cfg(test)]
mod tests;
