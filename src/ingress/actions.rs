//! From a request shape to an [`Action`], whatever trigger carried it, with
//! the idempotency tokens and run names its origin gives.

use super::wire::{ConfigurationsInput, GetScanInput, StartRunInput, StartScanInput, decode_input};
use crate::config::Limits;
use crate::domain::keys::{derive_run_name, derive_token, scoped_base};
use crate::domain::validate::check_idempotency_key;
use crate::domain::{Action, Direction, Error, Operation, ScanTarget, StartScan};

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
            Operation::ListCoverage
            | Operation::ListAssessmentRuns
            | Operation::DescribeAssessmentRuns
            | Operation::ListFindingAggregations => {
                return Err(Error::invalid_field(
                    "action",
                    format!("{} is not an action", op.name()),
                ));
            }
        })
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

fn scan_action(input: StartScanInput, cfg: &Limits, origin: &Origin) -> Result<Action, Error> {
    let req = input.validate(cfg.max_batch_items)?;
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

pub fn action_for(request: Request, cfg: &Limits, origin: &Origin) -> Result<Action, Error> {
    let keyed;
    let origin = match request.key()? {
        Some(key) => {
            keyed = origin.clone().with_key(key);
            &keyed
        }
        None => origin,
    };
    Ok(match request {
        Request::Scan(input) => scan_action(input, cfg, origin)?,
        Request::Get(input) => Action::GetCodeSecurityScan(input.validate()?),
        Request::Findings(input) => Action::GetCodeSecurityScanFindings(input.validate()?),
        Request::Configurations(direction, input) => {
            Action::Configurations(input.validate(direction, cfg.max_batch_items)?)
        }
        Request::Run(input) => {
            let mut run = input.validate()?;
            if run.assessment_run_name.is_none() {
                run.assessment_run_name = origin.run_name_base.as_deref().map(derive_run_name);
            }
            Action::StartAssessmentRun(run)
        }
    })
}
