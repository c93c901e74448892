//! Sweeps by selector: a request that names a set of projects instead of
//! listing them (`"select": {"covered": {...}}` or `{"associatedWith":
//! arn}`), on StartCodeSecurityScan and both scan-configuration batches.
//! What a selector is, how it is validated, which listed projects it keeps,
//! and the work each page of it becomes; no I/O (the listing calls are
//! `inspector::select`, the expansion through the sweep queue `app/selectors.rs`).

use super::action::{Action, ScanTarget, StartScan};
use super::configurations::{ConfigurationChange, ConfigurationItem, Direction};
use super::error::{Error, FieldError, MAX_SHOWN, bounded};
use super::keys::derive_token;
use super::operation::{Operation, Switch};
use super::validate::{check_len, is_scan_configuration_arn, non_null};
use serde::Deserialize;
use serde_json::{Value, json};

/// The providers Inspector's code security integrations name
/// (`codeRepositoryProviderType`).
pub const PROVIDER_TYPES: [&str; 2] = ["GITHUB", "GITLAB_SELF_MANAGED"];
/// The longest `projectNamePrefix` (a project name's own limit).
pub const MAX_PREFIX: usize = 300;
/// The longest page token carried back (`nextToken`).
pub const MAX_NEXT_TOKEN: usize = 4096;

/// `select` as a caller sends it: exactly one of its two members.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct SelectInput {
    /// Every code repository Inspector covers (`ListCoverage`), narrowed by
    /// the optional filters.
    #[serde(default, deserialize_with = "non_null")]
    pub covered: Option<CoveredInput>,
    /// Every project associated with this scan configuration
    /// (`ListCodeSecurityScanConfigurationAssociations`).
    #[serde(default, deserialize_with = "non_null")]
    pub associated_with: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CoveredInput {
    /// Keeps the projects whose name starts with this (case-sensitive).
    #[serde(default, deserialize_with = "non_null")]
    pub project_name_prefix: Option<String>,
    /// `GITHUB` or `GITLAB_SELF_MANAGED`.
    #[serde(default, deserialize_with = "non_null")]
    pub provider_type: Option<String>,
}

/// A validated selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Covered {
        project_name_prefix: Option<String>,
        provider_type: Option<String>,
    },
    AssociatedWith(String),
}

/// What a sweep does to each project it selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepOf {
    /// A scan, its client token derived from `token_base` and the project
    /// (none: the app gives the invocation's own key before anything is sent).
    Scans { token_base: Option<String> },
    /// The configuration associated with, or disassociated from, each.
    Configurations {
        direction: Direction,
        scan_configuration_arn: String,
    },
}

/// A sweep by selector, from the page `next_token` on (none: the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    pub of: SweepOf,
    pub select: Selector,
    pub next_token: Option<String>,
    /// The caller's own key (`Idempotency-Key`, `idempotencyKey`), by which
    /// the sweep is known; none: the event's id or the invocation's.
    pub key: Option<String>,
}

/// One project as a listing call named it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listed {
    pub project_id: String,
    /// ListCoverage's `projectName` (an association names the project only).
    pub project_name: Option<String>,
    pub provider_type: Option<String>,
}

/// One page of a listing: the projects on it, and where the next begins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub projects: Vec<Listed>,
    pub next_token: Option<String>,
}

impl SelectInput {
    /// The selector, or the fields that are wrong (under `field`).
    pub fn validate(self, field: &str, errors: &mut Vec<FieldError>) -> Option<Selector> {
        match (self.covered, self.associated_with) {
            (Some(c), None) => {
                let at = |name: &str| format!("{field}.covered.{name}");
                if let Some(p) = &c.project_name_prefix {
                    check_len(&at("projectNamePrefix"), p, MAX_PREFIX, errors);
                }
                if let Some(t) = &c.provider_type
                    && !PROVIDER_TYPES.contains(&t.as_str())
                {
                    errors.push(FieldError::new(
                        at("providerType"),
                        format!(
                            "\"{}\" is not one of {}",
                            bounded(t, MAX_SHOWN),
                            PROVIDER_TYPES.join(", ")
                        ),
                    ));
                }
                Some(Selector::Covered {
                    project_name_prefix: c.project_name_prefix,
                    provider_type: c.provider_type,
                })
            }
            (None, Some(arn)) => {
                if !is_scan_configuration_arn(&arn) {
                    errors.push(FieldError::new(
                        format!("{field}.associatedWith"),
                        "is not a scan configuration ARN",
                    ));
                }
                Some(Selector::AssociatedWith(arn))
            }
            _ => {
                errors.push(FieldError::new(
                    field,
                    "give exactly one of covered, associatedWith",
                ));
                None
            }
        }
    }
}

/// A `nextToken` carried back into a sweep: bounded, printable.
pub fn check_next_token(token: &str, errors: &mut Vec<FieldError>) {
    check_len("nextToken", token, MAX_NEXT_TOKEN, errors);
}

impl Selector {
    /// The listing call that reads this selector's projects.
    pub fn operation(&self) -> Operation {
        match self {
            Selector::Covered { .. } => Operation::ListCoverage,
            Selector::AssociatedWith(_) => Operation::ListCodeSecurityScanConfigurationAssociations,
        }
    }

    /// Does the selector keep this listed project? The listing's own
    /// filters are checked again (a name prefix is only checked here:
    /// ListCoverage has no prefix comparison).
    pub fn keeps(&self, p: &Listed) -> bool {
        match self {
            Selector::Covered {
                project_name_prefix,
                provider_type,
            } => {
                project_name_prefix.as_deref().is_none_or(|prefix| {
                    p.project_name
                        .as_deref()
                        .is_some_and(|n| n.starts_with(prefix))
                }) && provider_type
                    .as_deref()
                    .is_none_or(|t| p.provider_type.as_deref() == Some(t))
            }
            Selector::AssociatedWith(_) => true,
        }
    }

    /// The selector in its wire shape (`select`).
    pub fn to_json(&self) -> Value {
        match self {
            Selector::Covered {
                project_name_prefix,
                provider_type,
            } => {
                let mut covered = json!({});
                if let Some(p) = project_name_prefix {
                    covered["projectNamePrefix"] = p.clone().into();
                }
                if let Some(t) = provider_type {
                    covered["providerType"] = t.clone().into();
                }
                json!({ "covered": covered })
            }
            Selector::AssociatedWith(arn) => json!({ "associatedWith": arn }),
        }
    }

    /// A listing call's input in AWS's shape, from `next_token` (dry runs
    /// and the stand-ins).
    pub fn list_input(&self, next_token: Option<&str>) -> Value {
        let mut input = match self {
            Selector::Covered { provider_type, .. } => {
                let mut criteria = json!({
                    "resourceType": [{"comparison": "EQUALS", "value": "CODE_REPOSITORY"}]
                });
                if let Some(t) = provider_type {
                    criteria["codeRepositoryProviderType"] =
                        json!([{"comparison": "EQUALS", "value": t}]);
                }
                json!({ "filterCriteria": criteria })
            }
            Selector::AssociatedWith(arn) => json!({ "scanConfigurationArn": arn }),
        };
        if let Some(t) = next_token {
            input["nextToken"] = t.into();
        }
        input
    }
}

impl Sweep {
    pub fn operation(&self) -> Operation {
        match &self.of {
            SweepOf::Scans { .. } => Operation::StartCodeSecurityScan,
            SweepOf::Configurations { direction, .. } => direction.operation(),
        }
    }

    /// The switches the sweep's operation needs (none to start scans).
    pub fn switches(&self, from_the_bus: bool) -> Vec<Switch> {
        match &self.of {
            SweepOf::Scans { .. } => Vec::new(),
            SweepOf::Configurations { direction, .. } => direction.switches(from_the_bus),
        }
    }

    /// Every scan configuration the request names, by field: each must be
    /// in `ALLOWED_SCAN_CONFIGURATION_ARNS` when that is set.
    pub fn configurations(&self) -> Vec<(&'static str, &str)> {
        let mut named = Vec::new();
        if let SweepOf::Configurations {
            scan_configuration_arn,
            ..
        } = &self.of
        {
            named.push(("scanConfigurationArn", scan_configuration_arn.as_str()));
        }
        if let Selector::AssociatedWith(arn) = &self.select {
            named.push(("select.associatedWith", arn.as_str()));
        }
        named
    }

    /// The fields naming a configuration outside `allowed`.
    pub fn outside(&self, allowed: &[String], prefix: &str) -> Vec<FieldError> {
        self.configurations()
            .into_iter()
            .filter(|(_, arn)| !allowed.iter().any(|a| a == arn))
            .map(|(field, _)| {
                FieldError::new(
                    format!("{prefix}{field}"),
                    "is not one of ALLOWED_SCAN_CONFIGURATION_ARNS",
                )
            })
            .collect()
    }

    /// The same sweep with the key `base` for its scans' tokens, when it
    /// has none of its own.
    pub fn keyed(&self, base: &str) -> Sweep {
        let mut s = self.clone();
        if let SweepOf::Scans { token_base: None } = &s.of {
            s.of = SweepOf::Scans {
                token_base: Some(base.to_string()),
            };
        }
        s
    }

    /// The same sweep, from the page `next_token`.
    pub fn from_page(&self, next_token: Option<String>) -> Sweep {
        Sweep {
            next_token,
            ..self.clone()
        }
    }

    /// The sweep as a request any trigger takes (the sweep queue's body):
    /// the operation, the selector, its key or configuration, its page.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "action": self.operation().name(),
            "select": self.select.to_json(),
        });
        match &self.of {
            SweepOf::Scans { token_base } => {
                if let Some(t) = token_base {
                    body["clientToken"] = t.clone().into();
                }
            }
            SweepOf::Configurations {
                scan_configuration_arn,
                ..
            } => body["scanConfigurationArn"] = scan_configuration_arn.clone().into(),
        }
        if let Some(t) = &self.next_token {
            body["nextToken"] = t.clone().into();
        }
        body
    }

    /// The work the projects of one page (those the selector keeps, each
    /// once) come to; `None` when it keeps none of them. A scan's token is
    /// derived from the sweep's key and the project: the same on every
    /// delivery of the sweep.
    pub fn work(&self, page: &Page) -> Option<Action> {
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<&str> = page
            .projects
            .iter()
            .filter(|p| self.select.keeps(p) && seen.insert(p.project_id.as_str()))
            .map(|p| p.project_id.as_str())
            .collect();
        if ids.is_empty() {
            return None;
        }
        Some(match &self.of {
            SweepOf::Scans { token_base } => Action::StartCodeSecurityScans(
                ids.iter()
                    .map(|id| StartScan {
                        target: ScanTarget::ProjectId(id.to_string()),
                        client_token: token_base.as_deref().map(|b| derive_token(b, id)),
                    })
                    .collect(),
            ),
            SweepOf::Configurations {
                direction,
                scan_configuration_arn,
            } => Action::Configurations(ConfigurationChange {
                direction: *direction,
                items: ids
                    .iter()
                    .map(|id| ConfigurationItem {
                        scan_configuration_arn: scan_configuration_arn.clone(),
                        project_id: id.to_string(),
                    })
                    .collect(),
            }),
        })
    }

    /// What a log line names the sweep by.
    pub fn describe(&self) -> String {
        match &self.select {
            Selector::Covered { .. } => "select covered".to_string(),
            Selector::AssociatedWith(arn) => format!("select associatedWith {arn}"),
        }
    }
}

/// A request that carries a selector: the fields a list would take are
/// refused beside it, as are a configuration and a page token without it.
pub fn check_exclusive(
    select: bool,
    lists: &[(&str, bool)],
    only_with_select: &[(&str, bool)],
) -> Result<(), Error> {
    if select {
        if let Some((field, _)) = lists.iter().find(|(_, given)| *given) {
            return Err(Error::invalid_field(
                *field,
                "give either select or a list of projects, not both",
            ));
        }
    } else if let Some((field, _)) = only_with_select.iter().find(|(_, given)| *given) {
        return Err(Error::invalid_field(*field, "is taken only with select"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
