//! The gate: whether this caller, through this trigger, may have this
//! action done. One function, [`decide`], for every path (HTTP v2, v1 and
//! function URL, webhooks, EventBridge, direct invocations, work-queue
//! messages). It owns the allow-list, the JWT scopes, the HTTP identity the
//! deployment requires, the per-operation switches and the trigger checks.
//!
//! Its answer, [`Permitted`], is the only thing the Inspector adapter
//! executes, and only this module can make one (its field is private), so
//! no path reaches Inspector without passing here. `scripts/check-layout`
//! checks that no other file names its constructor.

use super::action::Action;
use super::error::{Error, FieldError, MAX_SHOWN, bounded};

/// Inspector Classic's end of support, as the refusals and README say it.
pub const CLASSIC_END_OF_SUPPORT: &str = "2026-05-20";

/// What the deployment requires of an HTTP caller (`HTTP_AUTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpAuth {
    /// An IAM (SigV4) identity: `userArn` in the request context.
    Iam,
    /// A JWT: an HTTP API JWT authorizer's claims, or a REST API Cognito
    /// authorizer's claims.
    Jwt,
    /// No requirement: only when something else authenticated the caller
    /// (a Lambda authorizer) or for a local run. Never the default: it must
    /// be said (`HTTP_AUTH=NONE`).
    None,
}

impl HttpAuth {
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "IAM" => Some(HttpAuth::Iam),
            "JWT" => Some(HttpAuth::Jwt),
            "NONE" => Some(HttpAuth::None),
            _ => None,
        }
    }
}

/// Which kind of identity API Gateway (or a function URL) established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Iam,
    Jwt,
    /// A Lambda authorizer's `principalId` (REST) or context (HTTP API).
    Authorizer,
}

/// The operations that can be switched off, and the EventBridge opt-in for
/// destructive commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switches {
    /// `DISASSOCIATION_ENABLED` (template: `EnableDisassociation`).
    pub disassociation: bool,
    /// `CLASSIC_ENABLED` (template: `EnableClassic`).
    pub classic: bool,
    /// `DISASSOCIATION_COMMANDS_ENABLED` (template:
    /// `EnableDisassociationCommands`): EventBridge commands may disassociate.
    pub disassociation_commands: bool,
}

impl Default for Switches {
    /// Unset, everything is off (fail closed): an operation runs only where
    /// it was switched on by name; the template always sets all three.
    fn default() -> Self {
        Self::OFF
    }
}

impl Switches {
    /// Every switchable operation refused.
    pub const OFF: Switches = Switches {
        disassociation: false,
        classic: false,
        disassociation_commands: false,
    };
    /// Every switchable operation allowed (local runs and tests say so).
    pub const ON: Switches = Switches {
        disassociation: true,
        classic: true,
        disassociation_commands: true,
    };
}

/// The rules the gate applies, borrowed from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// `ALLOWED_SCAN_CONFIGURATION_ARNS`, when set.
    pub allowed_scan_configuration_arns: Option<&'a [String]>,
    /// `JWT_SCOPE_PREFIX`.
    pub jwt_scope_prefix: &'a str,
    /// `HTTP_AUTH`; unset, IAM (fail closed: `NONE` must be said).
    pub http_auth: HttpAuth,
    pub switches: Switches,
}

/// The way a request arrived, with what the gate needs to know of its caller.
#[derive(Debug, Clone, Copy)]
pub enum Through<'a> {
    Http {
        principal: Option<Principal>,
        /// The JWT's scopes, when a JWT authorizer ran.
        scopes: Option<&'a [String]>,
        /// The scope the request's route needs (the route table's, after
        /// `JWT_SCOPE_PREFIX`); none for a route without one.
        route_scope: Option<&'static str>,
        /// A Lambda function URL (not API Gateway).
        function_url: bool,
    },
    /// A webhook delivery whose signature held.
    Webhook,
    /// A trusted account's event (account and source are checked when the
    /// event is decoded, as they decide what the event is).
    EventBridge,
    Direct,
    /// A message of the function's own work queue.
    Queue,
}

impl Through<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Through::Http {
                function_url: true, ..
            } => "function-url",
            Through::Http { .. } => "http",
            Through::Webhook => "webhook",
            Through::EventBridge => "eventbridge",
            Through::Direct => "direct",
            Through::Queue => "sqs",
        }
    }
}

/// An action the gate let through. Only [`decide`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permitted {
    action: Action,
}

impl Permitted {
    pub fn action(&self) -> &Action {
        &self.action
    }
}

fn forbidden(message: impl Into<String>) -> Error {
    Error::Forbidden {
        message: message.into(),
        fields: Vec::new(),
    }
}

/// Does an HTTP caller carry the identity the deployment requires? Checked
/// before the request is routed (an unauthenticated caller learns nothing of
/// its body's faults) and again in [`decide`].
pub fn authenticate(rules: &Rules, principal: Option<Principal>) -> Result<(), Error> {
    let (needed, name) = match rules.http_auth {
        HttpAuth::None => return Ok(()),
        HttpAuth::Iam => (Principal::Iam, "IAM (SigV4) identity"),
        HttpAuth::Jwt => (Principal::Jwt, "JWT"),
    };
    if principal == Some(needed) {
        Ok(())
    } else {
        Err(Error::Unauthenticated {
            message: format!("the request carries no {name}, which this API requires (HTTP_AUTH)"),
        })
    }
}

/// The one decision: `action`, asked through `through`, is permitted, or
/// refused with [`Error::Forbidden`] ([`Error::Unauthenticated`] for an
/// HTTP caller without the required identity). Nothing is called either way.
pub fn decide(rules: &Rules, through: Through, action: Action) -> Result<Permitted, Error> {
    if let Through::Http {
        principal,
        scopes,
        route_scope,
        function_url,
    } = through
    {
        authenticate(rules, principal)?;
        // A function URL without IAM auth (AuthType NONE) is open to the
        // Internet: it may carry webhooks (signed), never the API.
        if function_url && principal != Some(Principal::Iam) {
            return Err(forbidden(
                "a function URL without IAM auth serves only the webhook routes; call the API through API Gateway",
            ));
        }
        // Whenever a JWT authorizer ran, the scope is checked here too, so a
        // stage or route without scopes cannot bypass it.
        if let Some(scopes) = scopes {
            let Some(route_scope) = route_scope else {
                return Err(forbidden("this route takes no JWT"));
            };
            let needed = format!("{}{route_scope}", rules.jwt_scope_prefix);
            if !scopes.contains(&needed) {
                return Err(forbidden(format!(
                    "the token does not carry the scope {}",
                    bounded(&needed, MAX_SHOWN)
                )));
            }
        }
    }
    if let Some(refusal) = switched_off(rules.switches, through, &action) {
        return Err(forbidden(refusal));
    }
    if let (Action::BatchDisassociate(d), Some(allowed)) =
        (&action, rules.allowed_scan_configuration_arns)
    {
        let prefix = match through {
            Through::EventBridge => "detail.",
            _ => "",
        };
        let outside: Vec<FieldError> = d
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| !allowed.contains(&item.scan_configuration_arn))
            .map(|(i, _)| {
                FieldError::new(
                    format!("{prefix}disassociateConfigurationRequests[{i}].scanConfigurationArn"),
                    "is not one of ALLOWED_SCAN_CONFIGURATION_ARNS",
                )
            })
            .collect();
        if !outside.is_empty() {
            return Err(Error::Forbidden {
                message: format!(
                    "{} item(s) name a scan configuration that may not be disassociated",
                    outside.len()
                ),
                fields: outside,
            });
        }
    }
    Ok(Permitted { action })
}

/// Why `action` is switched off for `through`, if it is. One arm per
/// action and no catch-all: a new action does not compile until its switch
/// (or the lack of one) is written here.
fn switched_off(switches: Switches, through: Through, action: &Action) -> Option<String> {
    match action {
        Action::BatchDisassociate(_) if !switches.disassociation => Some(
            "disassociation is switched off (DISASSOCIATION_ENABLED=false); deploy with EnableDisassociation=true to switch it on"
                .to_string(),
        ),
        Action::BatchDisassociate(_)
            if matches!(through, Through::EventBridge) && !switches.disassociation_commands =>
        {
            Some(
                "EventBridge commands may not disassociate (DISASSOCIATION_COMMANDS_ENABLED=false); deploy with EnableDisassociationCommands=true to switch it on"
                    .to_string(),
            )
        }
        Action::BatchDisassociate(_) => None,
        Action::StartAssessmentRun(_) | Action::StartAssessmentRuns(_) if !switches.classic => {
            Some(format!(
                "Inspector Classic assessment runs are switched off (CLASSIC_ENABLED=false): Classic reached end of support on {CLASSIC_END_OF_SUPPORT}; deploy with EnableClassic=true to switch them on"
            ))
        }
        Action::StartAssessmentRun(_) | Action::StartAssessmentRuns(_) => None,
        // Not switchable: starting and reading scans, a scan's findings
        // (its own route and scope), and nothing to do.
        Action::StartCodeSecurityScan(_)
        | Action::StartCodeSecurityScans(_)
        | Action::GetCodeSecurityScan(_)
        | Action::GetCodeSecurityScanFindings(_)
        | Action::Skip(_) => None,
    }
}

/// Which of the function's own queues a batch came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnQueue {
    /// The work queue (`WORK_QUEUE_URL`'s ARN): requests to run.
    Work,
    /// The watch queue (`SCAN_WATCH_QUEUE_URL`'s ARN): scans to look at.
    Watch,
}

/// An SQS batch is admitted only when every record comes from one of the
/// function's own queues: the work queue (`work`: the ARN of the queue
/// behind `WORK_QUEUE_URL`) or the watch queue (`watch`), the same one for
/// the whole batch. A batch from anywhere else, mixing the two, or with no
/// own queue to compare with, is refused whole: nothing of it is run.
pub fn admit_batch<'a>(
    sources: impl IntoIterator<Item = Option<&'a str>>,
    work: Option<&str>,
    watch: Option<&str>,
) -> Result<OwnQueue, Error> {
    if work.is_none() && watch.is_none() {
        return Err(forbidden(
            "an SQS batch arrived but the function has no work queue (WORK_QUEUE_URL) or watch queue (SCAN_WATCH_QUEUE_URL) to accept it from",
        ));
    }
    let which = |arn: Option<&str>| match arn {
        Some(a) if Some(a) == work => Some(OwnQueue::Work),
        Some(a) if Some(a) == watch => Some(OwnQueue::Watch),
        _ => None,
    };
    let own = || {
        [work, watch]
            .into_iter()
            .flatten()
            .map(|v| bounded(v, MAX_SHOWN))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let mut admitted = None;
    for arn in sources {
        match (which(arn), admitted) {
            (Some(q), None) => admitted = Some(q),
            (Some(q), Some(first)) if q == first => {}
            (Some(_), Some(_)) => {
                return Err(forbidden(
                    "an SQS batch mixing the work queue's and the watch queue's records is refused",
                ));
            }
            (None, _) => {
                return Err(forbidden(format!(
                    "an SQS batch from {} is refused: only the function's own queues ({}) are accepted",
                    arn.map_or("no eventSourceARN".to_string(), |a| bounded(a, MAX_SHOWN)),
                    own()
                )));
            }
        }
    }
    admitted.ok_or_else(|| forbidden("an SQS batch without records"))
}

/// The ARN of the SQS queue at `url` (`https://sqs.<region>.amazonaws.com/<account>/<name>`,
/// the legacy `https://<region>.queue.amazonaws.com/...`, or any endpoint
/// whose path is `/<account>/<name>`): the region from the host when it
/// names one, else `region` (the SDK's).
pub fn queue_arn(url: &str, region: Option<&str>) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, path) = rest.split_once('/')?;
    let host = host.split(':').next().unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let from_host = match labels.as_slice() {
        ["sqs", region, ..] if labels.len() > 3 => Some(*region),
        [region, "queue", ..] => Some(*region),
        _ => None,
    };
    let region = from_host.or(region).filter(|r| !r.is_empty())?;
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let (account, name) = (segments.next()?, segments.next()?);
    if segments.next().is_some()
        || account.len() != 12
        || !account.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    Some(format!("arn:{partition}:sqs:{region}:{account}:{name}"))
}

#[cfg(test)]
mod tests;
