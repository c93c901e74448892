//! The request shapes callers send (AWS's own field names), decoded and
//! validated into the domain's actions.

pub use crate::domain::assessment_run::StartRunInput;
pub use crate::domain::configurations::{ConfigurationItemInput, ConfigurationsInput};
use crate::domain::error::{MAX_SHOWN, bounded};
pub use crate::domain::validate::{ResourceInput, non_null};
use crate::domain::validate::{
    check_client_token, check_project_id, check_repository, finish, is_scan_id,
};
use crate::domain::{Error, FieldError, GetScan, Operation, ScanTarget};
use serde::Deserialize;
use serde_json::Value;

// ---------------------------------------------------------------------------
// Wire shapes. Unknown fields are rejected so a typo never becomes a default.

/// `StartCodeSecurityScan`: the AWS shape `{"resource": {"projectId"}, "clientToken"}`,
/// the shorthand `{"projectId"}`, a repository `{"repository": "owner/name"}`,
/// or a fan-out list `{"projectIds": [...]}` / `{"repositories": [...]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct StartScanInput {
    #[serde(default, deserialize_with = "non_null")]
    pub resource: Option<ResourceInput>,
    #[serde(default, deserialize_with = "non_null")]
    pub project_id: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub repository: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub project_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    pub repositories: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    pub client_token: Option<String>,
    /// The caller's own key for the work (`idempotencyKey`).
    #[serde(default, deserialize_with = "non_null")]
    pub idempotency_key: Option<String>,
}

/// A validated StartCodeSecurityScan request: one target, or a fan-out list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRequest {
    pub targets: Vec<ScanTarget>,
    pub fan_out: bool,
    pub client_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetScanInput {
    #[serde(default, deserialize_with = "non_null")]
    pub resource: Option<ResourceInput>,
    #[serde(default, deserialize_with = "non_null")]
    pub project_id: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub scan_id: Option<String>,
    /// The caller's own key for the work (`idempotencyKey`).
    #[serde(default, deserialize_with = "non_null")]
    pub idempotency_key: Option<String>,
}

/// Deserialise a request shape from any JSON deserializer (a body's text,
/// an event's value), naming the offending field on failure.
pub fn decode_input<'de, T, D>(d: D) -> Result<T, Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de, Error = serde_json::Error>,
{
    serde_path_to_error::deserialize(d).map_err(|e| {
        // serde's messages quote what was sent (an unknown key, a value of
        // the wrong type): shown escaped and bounded. Read from text, they
        // end with a position, which a value's do not: dropped, so every
        // trigger words an error the same way.
        let path = bounded(&e.path().to_string(), MAX_SHOWN);
        let inner = e.into_inner();
        let at = format!(" at line {} column {}", inner.line(), inner.column());
        let text = inner.to_string();
        let inner = bounded(text.strip_suffix(&at).unwrap_or(&text), MAX_SHOWN);
        let field = if path == "." { String::new() } else { path };
        Error::invalid(vec![FieldError::new(field, inner)])
    })
}

impl StartScanInput {
    pub fn validate(self, max_items: usize) -> Result<ScanRequest, Error> {
        let mut errors = Vec::new();
        let given = [
            self.resource.is_some(),
            self.project_id.is_some(),
            self.repository.is_some(),
            self.project_ids.is_some(),
            self.repositories.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Error::invalid_field(
                "resource.projectId",
                "give exactly one of resource.projectId, projectId, repository, projectIds, repositories",
            ));
        }
        if let Some(token) = &self.client_token
            && let Err(e) = check_client_token("clientToken", token)
        {
            errors.push(e);
        }
        let list = |field: &str, items: Vec<String>, errors: &mut Vec<FieldError>| {
            if items.is_empty() || items.len() > max_items {
                errors.push(FieldError::new(
                    field,
                    format!("must hold 1-{max_items} items"),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for (i, item) in items.iter().enumerate() {
                if !seen.insert(item.as_str()) {
                    errors.push(FieldError::new(format!("{field}[{i}]"), "is a duplicate"));
                }
            }
            items
        };
        let (targets, fan_out) = if let Some(ids) = self.project_ids {
            let ids = list("projectIds", ids, &mut errors);
            let targets = ids
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    ScanTarget::ProjectId(check_project_id(
                        &format!("projectIds[{i}]"),
                        Some(p),
                        &mut errors,
                    ))
                })
                .collect();
            (targets, true)
        } else if let Some(repos) = self.repositories {
            let repos = list("repositories", repos, &mut errors);
            for (i, r) in repos.iter().enumerate() {
                if let Err(e) = check_repository(&format!("repositories[{i}]"), r) {
                    errors.push(e);
                }
            }
            (
                repos.into_iter().map(ScanTarget::Repository).collect(),
                true,
            )
        } else if let Some(repo) = self.repository {
            if let Err(e) = check_repository("repository", &repo) {
                errors.push(e);
            }
            (vec![ScanTarget::Repository(repo)], false)
        } else {
            let project = project_from(self.resource, self.project_id, &mut errors);
            (vec![ScanTarget::ProjectId(project)], false)
        };
        finish(
            ScanRequest {
                targets,
                fan_out,
                client_token: self.client_token,
            },
            errors,
        )
    }
}

impl GetScanInput {
    pub fn validate(self) -> Result<GetScan, Error> {
        let mut errors = Vec::new();
        let project_id = project_from(self.resource, self.project_id, &mut errors);
        let scan_id = match self.scan_id {
            None => {
                errors.push(FieldError::new("scanId", "is required"));
                String::new()
            }
            Some(s) if !is_scan_id(&s) => {
                errors.push(FieldError::new(
                    "scanId",
                    format!("\"{}\" is not a scan id", bounded(&s, MAX_SHOWN)),
                ));
                String::new()
            }
            Some(s) => s,
        };
        finish(
            GetScan {
                project_id,
                scan_id,
            },
            errors,
        )
    }
}

fn project_from(
    resource: Option<ResourceInput>,
    flat: Option<String>,
    errors: &mut Vec<FieldError>,
) -> String {
    match (resource, flat) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "projectId",
                "give either resource.projectId or projectId, not both",
            ));
            String::new()
        }
        (Some(r), None) => check_project_id("resource.projectId", r.project_id.as_deref(), errors),
        (None, flat) => check_project_id(
            if flat.is_some() {
                "projectId"
            } else {
                "resource.projectId"
            },
            flat.as_deref(),
            errors,
        ),
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn expected_shapes() -> String {
    format!(
        "expected an API Gateway HTTP/REST API or function URL request, an EventBridge event \
         (detail-type one of {ops}), a direct invocation {{\"action\": one of {ops}, ...}}, \
         or an SQS event from the work queue",
        ops = Operation::names()
    )
}

/// The event is none of the shapes this function handles; says which it takes.
pub fn unsupported(what: &str) -> Error {
    Error::UnsupportedEvent {
        message: format!("unsupported event: {what}; {}", expected_shapes()),
    }
}

#[cfg(test)]
mod tests;
