//! From a request shape to an [`Action`], whatever trigger carried it, with
//! the idempotency tokens and run names its origin gives.

use super::wire::{DisassociateInput, GetScanInput, StartRunInput, StartScanInput, decode_input};
use crate::config::Limits;
use crate::domain::keys::{derive_run_name, derive_token};
use crate::domain::{Action, Error, Operation, ScanTarget, StartScan};
use serde_json::Value;

/// Where an invocation's idempotency comes from. A redelivered event (same
/// EventBridge `id`) or a retried asynchronous invocation (same Lambda
/// request id) derives the same tokens and run names, so it cannot start a
/// second scan or run.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// Base for derived client tokens; `None` for HTTP (callers send
    /// `Idempotency-Key`).
    pub token_base: Option<&'a str>,
    /// Base for derived assessment run names.
    pub run_name_base: Option<&'a str>,
}

pub const NO_ORIGIN: Origin<'static> = Origin {
    token_base: None,
    run_name_base: None,
};

fn scan_action(input: Value, cfg: &Limits, origin: Origin) -> Result<Action, Error> {
    let req = decode_input::<StartScanInput>(input)?.validate(cfg.max_batch_items)?;
    let token = |t: &ScanTarget| match (&req.client_token, origin.token_base) {
        (Some(given), _) if !req.fan_out => Some(given.clone()),
        (Some(given), _) => Some(derive_token(given, t.key())),
        (None, Some(base)) => Some(derive_token(base, t.key())),
        (None, None) => None,
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

pub fn action_for(
    op: Operation,
    input: Value,
    cfg: &Limits,
    origin: Origin,
) -> Result<Action, Error> {
    Ok(match op {
        Operation::ListCoverage | Operation::ListAssessmentRuns => {
            return Err(Error::invalid_field(
                "action",
                format!("{} is not an action", op.name()),
            ));
        }
        Operation::StartCodeSecurityScan => scan_action(input, cfg, origin)?,
        Operation::GetCodeSecurityScan => {
            Action::GetCodeSecurityScan(decode_input::<GetScanInput>(input)?.validate()?)
        }
        Operation::BatchDisassociateCodeSecurityScanConfiguration => Action::BatchDisassociate(
            decode_input::<DisassociateInput>(input)?.validate(cfg.max_batch_items)?,
        ),
        Operation::StartAssessmentRun => {
            let mut run = decode_input::<StartRunInput>(input)?.validate()?;
            if run.assessment_run_name.is_none() {
                run.assessment_run_name = origin.run_name_base.map(derive_run_name);
            }
            Action::StartAssessmentRun(run)
        }
    })
}
