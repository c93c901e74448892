//! What a scan or a scan read is about: its target (a project, or a
//! repository resolved to its project), its client token, and how scans
//! that share a token base travel through the work queue together.

use super::keys::token_base;
use serde_json::{Value, json};

/// What to scan: a project, or a repository resolved to its project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScanTarget {
    ProjectId(String),
    /// `owner/name` (GitLab: `group/subgroup/name`) or a bare `name`.
    Repository(String),
}

impl ScanTarget {
    /// A stable key for the target, used to derive per-target tokens.
    pub fn key(&self) -> &str {
        match self {
            ScanTarget::ProjectId(p) | ScanTarget::Repository(p) => p,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartScan {
    pub target: ScanTarget,
    pub client_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetScan {
    pub project_id: String,
    pub scan_id: String,
}

/// Scans whose tokens derive from one base go together as a list with
/// that base as its `clientToken` (which derives the same token for each
/// target); any other scan goes alone, with its own token.
pub fn scan_messages(op: &str, scans: &[StartScan], per_message: usize) -> Vec<Value> {
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
                    *f == field && *b == base && targets.len() < per_message
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
