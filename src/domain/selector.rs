//! Selectors: a set of projects named instead of listed (`"select":
//! {"covered": {...}}` or `{"associatedWith": arn}`): the wire shape, its
//! validation, which listed projects it keeps, and a listing call's input
//! and page. What a sweep does with them is `domain::sweep`; the listing
//! calls are `inspector::select`.

use super::error::{FieldError, MAX_SHOWN, bounded};
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
    /// Every project associated with this scan configuration (`associatedWith`).
    Configuration(String),
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
                Some(Selector::Configuration(arn))
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
            Selector::Configuration(_) => true,
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
            Selector::Configuration(arn) => json!({ "associatedWith": arn }),
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
            Selector::Configuration(arn) => json!({ "scanConfigurationArn": arn }),
        };
        if let Some(t) = next_token {
            input["nextToken"] = t.into();
        }
        input
    }
}
