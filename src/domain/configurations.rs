//! BatchAssociateCodeSecurityScanConfiguration and
//! BatchDisassociateCodeSecurityScanConfiguration: one operation shape in
//! two directions, and everything particular to it in one place: the names,
//! route, scope and switches of each direction, the request field and its
//! validation, the calls a dry run plans, the work-queue bodies, the items
//! a log line names and the metrics. The SDK call is
//! `inspector::batch`; everything else reads this module.

pub use super::associations::{BatchOutcome, FailedAssociation, Resource, SuccessfulAssociation};
use super::error::{Error, FieldError, MAX_SHOWN, bounded};
use super::switch::Switch;
use super::validate::{
    ResourceInput, check_project_id, finish, is_scan_configuration_arn, non_null,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The service's limit on items per call, in either direction.
pub const CONFIGURATIONS_PER_CALL: usize = 25;

/// Which way a batch changes scan configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `BatchAssociateCodeSecurityScanConfiguration`: onboarding projects.
    Associate,
    /// `BatchDisassociateCodeSecurityScanConfiguration`: detaching them.
    Disassociate,
}

/// `DISASSOCIATION_COMMANDS_ENABLED`: EventBridge commands may disassociate
/// (a destructive change from the bus needs a second, explicit opt-in).
pub const DISASSOCIATION_COMMANDS: Switch = Switch {
    setting: "DISASSOCIATION_COMMANDS_ENABLED",
    parameter: "EnableDisassociationCommands",
    what: "disassociation by EventBridge commands",
    note: "",
};

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Associate, Direction::Disassociate];

    /// The AWS operation name.
    pub const fn name(self) -> &'static str {
        match self {
            Direction::Associate => "BatchAssociateCodeSecurityScanConfiguration",
            Direction::Disassociate => "BatchDisassociateCodeSecurityScanConfiguration",
        }
    }

    pub const fn iam_action(self) -> &'static str {
        match self {
            Direction::Associate => "inspector2:BatchAssociateCodeSecurityScanConfiguration",
            Direction::Disassociate => "inspector2:BatchDisassociateCodeSecurityScanConfiguration",
        }
    }

    /// The request's list, in AWS's spelling.
    pub const fn request_field(self) -> &'static str {
        match self {
            Direction::Associate => "associateConfigurationRequests",
            Direction::Disassociate => "disassociateConfigurationRequests",
        }
    }

    /// The HTTP route's path (`POST`).
    pub const fn path(self) -> &'static str {
        match self {
            Direction::Associate => "/scan-configurations/associate",
            Direction::Disassociate => "/scan-configurations/disassociate",
        }
    }

    /// The JWT scope the route needs, after `JWT_SCOPE_PREFIX`.
    pub const fn scope(self) -> &'static str {
        match self {
            Direction::Associate => "configurations.associate",
            Direction::Disassociate => "configurations.disassociate",
        }
    }

    /// The switch that lets this direction run at all.
    pub const fn switch(self) -> Switch {
        match self {
            Direction::Associate => Switch {
                setting: "ASSOCIATION_ENABLED",
                parameter: "EnableAssociation",
                what: "association of scan configurations",
                note: "",
            },
            Direction::Disassociate => Switch {
                setting: "DISASSOCIATION_ENABLED",
                parameter: "EnableDisassociation",
                what: "disassociation of scan configurations",
                note: "",
            },
        }
    }

    /// The switches a request in this direction needs: its own, and from
    /// the bus, the opt-in for destructive commands.
    pub fn switches(self, from_the_bus: bool) -> Vec<Switch> {
        match self {
            Direction::Disassociate if from_the_bus => {
                vec![self.switch(), DISASSOCIATION_COMMANDS]
            }
            Direction::Associate | Direction::Disassociate => vec![self.switch()],
        }
    }

    /// The OpenAPI document's words for it: its request schema's name and summary.
    pub const fn documented(self) -> (&'static str, &'static str) {
        match self {
            Direction::Associate => (
                "AssociateInput",
                "Attach scan configurations to projects (onboarding): any number of items, in calls of at most 25",
            ),
            Direction::Disassociate => (
                "DisassociateInput",
                "Detach scan configurations from projects: any number of items, in calls of at most 25",
            ),
        }
    }

    /// Metric names: items that succeeded, and items that failed.
    pub const fn metrics(self) -> (&'static str, &'static str) {
        match self {
            Direction::Associate => ("AssociationsSucceeded", "AssociationsFailed"),
            Direction::Disassociate => ("DisassociationsSucceeded", "DisassociationsFailed"),
        }
    }
}

/// One item: a scan configuration and a project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigurationItem {
    pub scan_configuration_arn: String,
    pub project_id: String,
}

/// A validated batch: any number of items, one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationChange {
    pub direction: Direction,
    pub items: Vec<ConfigurationItem>,
}

/// What a batch came to, in the service's shape, with its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigurationOutcome {
    pub direction: Direction,
    pub batch: BatchOutcome,
}

/// One item as a caller sends it: `{"scanConfigurationArn", "resource": {"projectId"}}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ConfigurationItemInput {
    #[serde(default, deserialize_with = "non_null")]
    pub scan_configuration_arn: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub resource: Option<ResourceInput>,
}

/// The request of either direction: its list under AWS's name for it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ConfigurationsInput {
    #[serde(default, deserialize_with = "non_null")]
    pub associate_configuration_requests: Option<Vec<ConfigurationItemInput>>,
    #[serde(default, deserialize_with = "non_null")]
    pub disassociate_configuration_requests: Option<Vec<ConfigurationItemInput>>,
    /// The caller's own key for the work (`idempotencyKey`).
    #[serde(default, deserialize_with = "non_null")]
    pub idempotency_key: Option<String>,
    /// A sweep (`domain::sweep`): the configuration applied to every
    /// project `select` names, from the page `nextToken`.
    #[serde(default, deserialize_with = "non_null")]
    pub scan_configuration_arn: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    pub select: Option<super::selector::SelectInput>,
    #[serde(default, deserialize_with = "non_null")]
    pub next_token: Option<String>,
}

impl ConfigurationsInput {
    /// Each direction's list field, and whether it was given.
    pub fn lists(&self) -> [(&'static str, bool); 2] {
        Direction::ALL.map(|d| {
            let list = match d {
                Direction::Associate => &self.associate_configuration_requests,
                Direction::Disassociate => &self.disassociate_configuration_requests,
            };
            (d.request_field(), list.is_some())
        })
    }

    /// Any number of items from 1 to `max_items`, under the field of
    /// `direction`; the executor splits them into calls of at most 25.
    /// Duplicates are refused: the answer accounts for each item exactly
    /// once, which a duplicate makes ambiguous.
    pub fn validate(
        self,
        direction: Direction,
        max_items: usize,
    ) -> Result<ConfigurationChange, Error> {
        let field = direction.request_field();
        let (mine, other) = match direction {
            Direction::Associate => (
                self.associate_configuration_requests,
                self.disassociate_configuration_requests,
            ),
            Direction::Disassociate => (
                self.disassociate_configuration_requests,
                self.associate_configuration_requests,
            ),
        };
        if other.is_some() {
            let wrong = Direction::ALL
                .into_iter()
                .find(|d| *d != direction)
                .map_or("", Direction::request_field);
            return Err(Error::invalid_field(
                wrong,
                format!(
                    "belongs to the other direction; {} takes {field}",
                    direction.name()
                ),
            ));
        }
        let Some(requests) = mine else {
            return Err(Error::invalid_field(field, "is required"));
        };
        if requests.is_empty() {
            return Err(Error::invalid_field(field, "must hold at least one item"));
        }
        if requests.len() > max_items {
            return Err(Error::invalid_field(
                field,
                format!(
                    "holds {} items; at most {max_items} per request",
                    requests.len()
                ),
            ));
        }
        let mut errors = Vec::new();
        let mut items = Vec::with_capacity(requests.len());
        let mut seen = std::collections::HashMap::with_capacity(requests.len());
        for (i, req) in requests.into_iter().enumerate() {
            let arn_field = format!("{field}[{i}].scanConfigurationArn");
            let scan_configuration_arn = match req.scan_configuration_arn {
                None => {
                    errors.push(FieldError::new(arn_field, "is required"));
                    String::new()
                }
                Some(a) if !is_scan_configuration_arn(&a) => {
                    errors.push(FieldError::new(
                        arn_field,
                        format!(
                            "\"{}\" is not a code security scan configuration ARN",
                            bounded(&a, MAX_SHOWN)
                        ),
                    ));
                    String::new()
                }
                Some(a) => a,
            };
            let project_id = check_project_id(
                &format!("{field}[{i}].resource.projectId"),
                req.resource.and_then(|r| r.project_id).as_deref(),
                &mut errors,
            );
            let item = ConfigurationItem {
                scan_configuration_arn,
                project_id,
            };
            if !item.scan_configuration_arn.is_empty()
                && !item.project_id.is_empty()
                && let Some(first) = seen.insert(item.clone(), i)
            {
                errors.push(FieldError::new(
                    format!("{field}[{i}]"),
                    format!("duplicates {field}[{first}]"),
                ));
            }
            items.push(item);
        }
        finish(ConfigurationChange { direction, items }, errors)
    }
}

impl ConfigurationItem {
    /// The item in AWS's request shape.
    pub fn to_json(&self) -> Value {
        json!({"scanConfigurationArn": self.scan_configuration_arn,
               "resource": {"projectId": self.project_id}})
    }
}

impl ConfigurationChange {
    /// The same direction, other items (what is left to do).
    pub fn with_items(&self, items: Vec<ConfigurationItem>) -> ConfigurationChange {
        ConfigurationChange {
            direction: self.direction,
            items,
        }
    }

    /// The request body of `items`: `{<requestField>: [...]}`.
    pub fn body(&self, items: &[ConfigurationItem]) -> Value {
        let requests: Vec<Value> = items.iter().map(ConfigurationItem::to_json).collect();
        json!({ self.direction.request_field(): requests })
    }

    /// A dry run's call inputs: one call per [`CONFIGURATIONS_PER_CALL`] items.
    pub fn plan(&self) -> Vec<Value> {
        self.items
            .chunks(CONFIGURATIONS_PER_CALL)
            .map(|chunk| self.body(chunk))
            .collect()
    }

    /// Work-queue bodies (direct-invocation requests) of at most `per_message` items.
    pub fn messages(&self, per_message: usize) -> Vec<Value> {
        self.items
            .chunks(per_message)
            .map(|chunk| {
                let mut body = self.body(chunk);
                body["action"] = self.direction.name().into();
                body
            })
            .collect()
    }

    /// `scanConfigurationArn/projectId` of each item, for a log record.
    pub fn names(&self) -> Vec<String> {
        self.items
            .iter()
            .map(|i| format!("{}/{}", i.scan_configuration_arn, i.project_id))
            .collect()
    }

    /// The items whose configuration is not in `allowed`, as field errors
    /// (`prefix` is `detail.` for an EventBridge command).
    pub fn outside(&self, allowed: &[String], prefix: &str) -> Vec<FieldError> {
        let field = self.direction.request_field();
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| !allowed.contains(&item.scan_configuration_arn))
            .map(|(i, _)| {
                FieldError::new(
                    format!("{prefix}{field}[{i}].scanConfigurationArn"),
                    "is not one of ALLOWED_SCAN_CONFIGURATION_ARNS",
                )
            })
            .collect()
    }
}

impl ConfigurationOutcome {
    /// Nothing done yet.
    pub fn none(direction: Direction) -> Self {
        ConfigurationOutcome {
            direction,
            batch: BatchOutcome::default(),
        }
    }

    /// `(metric, count)` pairs: items that succeeded and items that failed.
    pub fn metrics(&self) -> [(&'static str, usize); 2] {
        let (ok, failed) = self.direction.metrics();
        [
            (ok, self.batch.successful_associations.len()),
            (failed, self.batch.failed_associations.len()),
        ]
    }

    /// Splits into what finished and the change that does the rest (the
    /// items that failed in a way that may pass later) with their results.
    pub fn split(
        self,
    ) -> (
        ConfigurationOutcome,
        Option<(ConfigurationChange, ConfigurationOutcome)>,
    ) {
        let direction = self.direction;
        let (unfinished, failed): (Vec<_>, Vec<_>) = self
            .batch
            .failed_associations
            .into_iter()
            .partition(|f| f.retryable);
        let rest = (!unfinished.is_empty()).then(|| {
            let change = ConfigurationChange {
                direction,
                items: unfinished
                    .iter()
                    .map(|f| ConfigurationItem {
                        scan_configuration_arn: f.scan_configuration_arn.clone(),
                        project_id: f.resource.project_id.clone(),
                    })
                    .collect(),
            };
            let results = ConfigurationOutcome {
                direction,
                batch: BatchOutcome {
                    successful_associations: Vec::new(),
                    failed_associations: unfinished,
                },
            };
            (change, results)
        });
        let finished = ConfigurationOutcome {
            direction,
            batch: BatchOutcome {
                successful_associations: self.batch.successful_associations,
                failed_associations: failed,
            },
        };
        (finished, rest)
    }
}

#[cfg(test)]
mod tests;
