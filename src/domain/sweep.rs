//! Sweeps by selector: an operation (a scan, or a scan configuration
//! associated or disassociated) on every project a selector names, found
//! page by page. How a sweep request is validated, what it needs of the
//! gate, how it travels through the sweep queue and goes on from a page;
//! no I/O (the work a page becomes is `Action::of_page`, the expansion
//! `app/selectors.rs`).

use super::configurations::Direction;
use super::error::{Error, FieldError};
use super::keys::scoped_base;
use super::operation::{Operation, Switch};
use super::selector::{SelectInput, Selector, check_next_token};
use super::validate::{check_client_token, is_scan_configuration_arn};
use serde_json::{Value, json};

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

/// The fields of a sweep request, whichever operation it is for.
pub struct SweepInput<'a> {
    pub select: Option<SelectInput>,
    pub next_token: Option<String>,
    /// The list fields the operation also takes, and whether each was given:
    /// refused beside `select`.
    pub lists: &'a [(&'a str, bool)],
}

/// A request that carries a selector: the fields a list would take are
/// refused beside it, as are a configuration and a page token without it.
fn check_exclusive(
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

impl SweepInput<'_> {
    /// The selector and page, with `errors` so far (one answer names
    /// every field that is wrong).
    fn finish(self, of: SweepOf, mut errors: Vec<FieldError>) -> Result<Sweep, Error> {
        if let Some(t) = &self.next_token {
            check_next_token(t, &mut errors);
        }
        let select = self
            .select
            .unwrap_or_default()
            .validate("select", &mut errors);
        match select {
            Some(select) if errors.is_empty() => Ok(Sweep {
                of,
                select,
                next_token: self.next_token,
                key: None,
            }),
            _ => Err(Error::invalid(errors)),
        }
    }

    /// A StartCodeSecurityScan by selector. Its tokens derive from the
    /// caller's `clientToken` (over HTTP, `scoped` by the caller: `scope`),
    /// else from `origin_base` (the origin's key).
    pub fn scans(
        self,
        client_token: Option<&str>,
        origin_base: Option<&str>,
        scoped: Option<&str>,
    ) -> Result<Sweep, Error> {
        check_exclusive(
            self.select.is_some(),
            self.lists,
            &[("nextToken", self.next_token.is_some())],
        )?;
        let mut errors = Vec::new();
        if let Some(token) = client_token
            && let Err(e) = check_client_token("clientToken", token)
        {
            errors.push(e);
        }
        let token_base = match (client_token, scoped) {
            (Some(given), Some(scope)) => Some(scoped_base(scope, given)),
            (Some(given), None) => Some(given.to_string()),
            (None, _) => origin_base.map(str::to_string),
        };
        self.finish(SweepOf::Scans { token_base }, errors)
    }

    /// A scan-configuration batch by selector: `scanConfigurationArn`, the
    /// configuration applied to every project `select` names.
    pub fn configurations(
        self,
        direction: Direction,
        scan_configuration_arn: Option<String>,
    ) -> Result<Sweep, Error> {
        check_exclusive(
            self.select.is_some(),
            self.lists,
            &[
                ("scanConfigurationArn", scan_configuration_arn.is_some()),
                ("nextToken", self.next_token.is_some()),
            ],
        )?;
        let mut errors = Vec::new();
        let arn = scan_configuration_arn.unwrap_or_default();
        if arn.is_empty() {
            errors.push(FieldError::new(
                "scanConfigurationArn",
                "is required with select",
            ));
        } else if !is_scan_configuration_arn(&arn) {
            errors.push(FieldError::new(
                "scanConfigurationArn",
                "is not a scan configuration ARN",
            ));
        }
        let of = SweepOf::Configurations {
            direction,
            scan_configuration_arn: arn,
        };
        self.finish(of, errors)
    }
}

impl Sweep {
    /// The listing call that reads this sweep's projects.
    pub fn listing(&self) -> Operation {
        match self.select {
            Selector::Covered { .. } => Operation::ListCoverage,
            Selector::Configuration(_) => Operation::ListCodeSecurityScanConfigurationAssociations,
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
        if let Selector::Configuration(arn) = &self.select {
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

    /// What a log line names the sweep by.
    pub fn describe(&self) -> String {
        match &self.select {
            Selector::Covered { .. } => "select covered".to_string(),
            Selector::Configuration(arn) => format!("select associatedWith {arn}"),
        }
    }
}
