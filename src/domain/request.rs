//! The request shapes callers send (AWS's own field names), one per
//! operation, decoded, validated and made into an [`Action`] whatever
//! trigger carried them, with the idempotency tokens and run names its
//! origin gives. The registry of request shapes: a new operation does not
//! compile until its shape is placed here.

use super::GetScan;
use super::action::{Action, ScanTarget, StartScan};
use super::assessment_run::StartRunInput;
use super::configurations::{ConfigurationsInput, Direction};
use super::error::{Error, FieldError, MAX_SHOWN, bounded};
use super::keys::{derive_run_name, derive_token, scoped_base};
use super::operation::Operation;
use super::selector::SelectInput;
use super::sweep::{Sweep, SweepInput};
use super::validate::{
    ResourceInput, check_client_token, check_idempotency_key, check_project_id, check_repository,
    finish, is_scan_id, non_null,
};
use serde::Deserialize;

/// The field every operation and list form takes: the caller's own key for
/// the work, stable across its retries.
pub const IDEMPOTENCY_KEY: &str = "idempotencyKey";

/// Where an invocation's idempotency comes from. The same work sent again
/// the way its path retries (a redelivered event, a retried invocation, the
/// same key) derives the same tokens and run names, so it cannot start a
/// second scan or run.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// Base for derived client tokens, when the request has no key of its own.
    pub token_base: Option<String>,
    /// Base for derived assessment run names.
    pub run_name_base: Option<String>,
    /// Who sent the request (`direct`, `event:<account>:<source>`,
    /// `http:<identity>`): a key it sends is namespaced by this.
    pub scope: String,
    /// HTTP: a `clientToken` in the body is a key too, namespaced by the
    /// caller, never sent to AWS as is.
    pub scoped_tokens: bool,
}

impl Origin {
    /// Tokens and run names derive from (`scope`, `key`, target) from now on.
    pub fn with_key(mut self, key: &str) -> Self {
        let base = scoped_base(&self.scope, key);
        self.token_base = Some(base.clone());
        self.run_name_base = Some(base);
        self
    }
}

/// One operation's request, decoded into its shape: the one parse of the
/// fields a caller sent.
#[derive(Debug)]
pub enum Request {
    Scan(StartScanInput),
    Get(GetScanInput),
    /// A scan's findings (HTTP only: its own route and scope).
    Findings(GetScanInput),
    /// A scan-configuration batch, in its direction.
    Configurations(Direction, ConfigurationsInput),
    Run(StartRunInput),
}

impl Request {
    /// Decode `op`'s request shape from a JSON deserializer (a body's text,
    /// an event's value).
    pub fn decode<'de, D>(op: Operation, d: D) -> Result<Self, Error>
    where
        D: serde::Deserializer<'de, Error = serde_json::Error>,
    {
        Ok(match op {
            Operation::StartCodeSecurityScan => Request::Scan(decode_input(d)?),
            Operation::GetCodeSecurityScan => Request::Get(decode_input(d)?),
            Operation::ScanConfigurations(direction) => {
                Request::Configurations(direction, decode_input(d)?)
            }
            Operation::StartAssessmentRun => Request::Run(decode_input(d)?),
            // A scan's findings: its own HTTP route (a caller never names
            // the supporting call as an action: `Operation::ALL`).
            Operation::ListFindingAggregations => Request::Findings(decode_input(d)?),
            Operation::ListCoverage
            | Operation::ListCodeSecurityScanConfigurationAssociations
            | Operation::ListAssessmentRuns
            | Operation::DescribeAssessmentRuns => {
                return Err(Error::invalid_field(
                    "action",
                    format!("{} is not an action", op.name()),
                ));
            }
        })
    }

    /// The `idempotencyKey` the fields carried, unchecked (over HTTP the
    /// header is the one way in, so any is refused there).
    pub fn body_key(&self) -> Option<&str> {
        match self {
            Request::Scan(r) => r.idempotency_key.as_deref(),
            Request::Get(r) | Request::Findings(r) => r.idempotency_key.as_deref(),
            Request::Configurations(_, r) => r.idempotency_key.as_deref(),
            Request::Run(r) => r.idempotency_key.as_deref(),
        }
    }

    /// `idempotencyKey`, checked.
    fn key(&self) -> Result<Option<&str>, Error> {
        let key = match self {
            Request::Scan(r) => &r.idempotency_key,
            Request::Get(r) | Request::Findings(r) => &r.idempotency_key,
            Request::Configurations(_, r) => &r.idempotency_key,
            Request::Run(r) => &r.idempotency_key,
        };
        let Some(key) = key.as_deref() else {
            return Ok(None);
        };
        check_idempotency_key(IDEMPOTENCY_KEY, key).map_err(|f| Error::invalid(vec![f]))?;
        Ok(Some(key))
    }
}

fn scan_action(input: StartScanInput, max_items: usize, origin: &Origin) -> Result<Action, Error> {
    if input.select.is_some() || input.next_token.is_some() {
        return scan_sweep(input, origin);
    }
    let req = input.validate(max_items)?;
    let token = |t: &ScanTarget| match &req.client_token {
        Some(given) if origin.scoped_tokens => {
            Some(derive_token(&scoped_base(&origin.scope, given), t.key()))
        }
        Some(given) if !req.fan_out => Some(given.clone()),
        Some(given) => Some(derive_token(given, t.key())),
        None => origin
            .token_base
            .as_deref()
            .map(|base| derive_token(base, t.key())),
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

/// A StartCodeSecurityScan by selector.
fn scan_sweep(input: StartScanInput, origin: &Origin) -> Result<Action, Error> {
    let lists = [
        ("resource", input.resource.is_some()),
        ("projectId", input.project_id.is_some()),
        ("repository", input.repository.is_some()),
        ("projectIds", input.project_ids.is_some()),
        ("repositories", input.repositories.is_some()),
    ];
    let sweep = SweepInput {
        select: input.select,
        next_token: input.next_token,
        lists: &lists,
    };
    let scope = origin.scoped_tokens.then_some(origin.scope.as_str());
    sweep
        .scans(
            input.client_token.as_deref(),
            origin.token_base.as_deref(),
            scope,
        )
        .map(Action::Sweep)
}

/// A scan-configuration batch by selector.
fn configurations_sweep(direction: Direction, input: ConfigurationsInput) -> Result<Action, Error> {
    let lists = input.lists();
    let sweep = SweepInput {
        select: input.select,
        next_token: input.next_token,
        lists: &lists,
    };
    sweep
        .configurations(direction, input.scan_configuration_arn)
        .map(Action::Sweep)
}

/// The action `request` asks for: lists of at most `max_items`.
pub fn action_for(request: Request, max_items: usize, origin: &Origin) -> Result<Action, Error> {
    let keyed;
    let key = request.key()?.map(|k| bounded(k, MAX_SHOWN));
    let origin = match request.key()? {
        Some(key) => {
            keyed = origin.clone().with_key(key);
            &keyed
        }
        None => origin,
    };
    let action = match request {
        Request::Scan(input) => scan_action(input, max_items, origin)?,
        Request::Get(input) => Action::GetCodeSecurityScan(input.validate()?),
        Request::Findings(input) => Action::GetCodeSecurityScanFindings(input.validate()?),
        Request::Configurations(direction, input)
            if input.select.is_some()
                || input.scan_configuration_arn.is_some()
                || input.next_token.is_some() =>
        {
            configurations_sweep(direction, input)?
        }
        Request::Configurations(direction, input) => {
            Action::Configurations(input.validate(direction, max_items)?)
        }
        Request::Run(input) => {
            let mut run = input.validate()?;
            if run.assessment_run_name.is_none() {
                run.assessment_run_name = origin.run_name_base.as_deref().map(derive_run_name);
            }
            Action::StartAssessmentRun(run)
        }
    };
    Ok(match action {
        Action::Sweep(sweep) => Action::Sweep(Sweep { key, ..sweep }),
        other => other,
    })
}

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
    /// A sweep: the projects named by a selector instead of a list.
    #[serde(default, deserialize_with = "non_null")]
    pub select: Option<SelectInput>,
    /// A sweep's page to go on from (what the function writes when a sweep
    /// goes on in a later message).
    #[serde(default, deserialize_with = "non_null")]
    pub next_token: Option<String>,
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

#[cfg(test)]
mod tests;
