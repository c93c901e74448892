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
use super::error::{Error, MAX_SHOWN, bounded};
use super::operation::Switch;

pub use super::assessment_run::CLASSIC_END_OF_SUPPORT;
pub use super::operation::Switches;

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
    let from_the_bus = matches!(through, Through::EventBridge);
    if let Some(off) = action
        .switches(from_the_bus)
        .into_iter()
        .find(|s| !rules.switches.is_on(*s))
    {
        return Err(forbidden(switched_off(off)));
    }
    if let Some(allowed) = rules.allowed_scan_configuration_arns {
        let prefix = if from_the_bus { "detail." } else { "" };
        // Every configuration the action names, items or a sweep's (the
        // one it applies and the one it selects by): a sweep naming one
        // outside the list is refused whole, before anything is listed.
        let outside = action.outside(allowed, prefix);
        if !outside.is_empty() {
            return Err(Error::Forbidden {
                message: format!(
                    "{} field(s) name a scan configuration outside ALLOWED_SCAN_CONFIGURATION_ARNS",
                    outside.len()
                ),
                fields: outside,
            });
        }
    }
    Ok(Permitted { action })
}

/// The refusal for a switch that is off: what it switches, the setting,
/// and the template parameter that switches it on.
fn switched_off(s: Switch) -> String {
    let note = if s.note.is_empty() {
        String::new()
    } else {
        format!(": {}", s.note)
    };
    format!(
        "{}: switched off ({}=false){note}; deploy with {}=true to switch on",
        s.what, s.setting, s.parameter
    )
}

/// Which of the function's own queues a batch came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnQueue {
    /// The work queue (`WORK_QUEUE_URL`'s ARN): requests to run.
    Work,
    /// The watch queue (`SCAN_WATCH_QUEUE_URL`'s ARN): scans to look at.
    Watch,
    /// The sweep queue (`SWEEP_QUEUE_URL`'s ARN): sweeps by selector, their
    /// pages and their work (run like the work queue's).
    Sweep,
}

impl OwnQueue {
    /// The name an invocation record gives it (`queue`).
    pub fn name(self) -> &'static str {
        match self {
            OwnQueue::Work => "work",
            OwnQueue::Watch => "watch",
            OwnQueue::Sweep => "sweep",
        }
    }
}

/// The ARNs of the function's own queues, as far as it has them.
#[derive(Debug, Clone, Copy, Default)]
pub struct OwnQueues<'a> {
    pub work: Option<&'a str>,
    pub watch: Option<&'a str>,
    pub sweep: Option<&'a str>,
}

/// An SQS batch is admitted only when every record comes from one of the
/// function's own queues (`own`), the same one for the whole batch. A
/// batch from anywhere else, mixing queues, or with no own queue to compare
/// with, is refused whole: nothing of it is run.
pub fn admit_batch<'a>(
    sources: impl IntoIterator<Item = Option<&'a str>>,
    own: OwnQueues,
) -> Result<OwnQueue, Error> {
    let queues = [
        (own.work, OwnQueue::Work),
        (own.watch, OwnQueue::Watch),
        (own.sweep, OwnQueue::Sweep),
    ];
    if queues.iter().all(|(arn, _)| arn.is_none()) {
        return Err(forbidden(
            "an SQS batch arrived but the function has no work queue (WORK_QUEUE_URL), watch queue (SCAN_WATCH_QUEUE_URL) or sweep queue (SWEEP_QUEUE_URL) to accept it from",
        ));
    }
    let which = |arn: Option<&str>| {
        let arn = arn?;
        queues
            .iter()
            .find(|(own, _)| *own == Some(arn))
            .map(|(_, q)| *q)
    };
    let names = || {
        queues
            .iter()
            .filter_map(|(arn, _)| *arn)
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
                    "an SQS batch mixing records of the function's queues is refused",
                ));
            }
            (None, _) => {
                return Err(forbidden(format!(
                    "an SQS batch from {} is refused: only the function's own queues ({}) are accepted",
                    arn.map_or("no eventSourceARN".to_string(), |a| bounded(a, MAX_SHOWN)),
                    names()
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
