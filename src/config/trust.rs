//! Who may ask: the accounts and sources EventBridge events may come from,
//! the scopes HTTP callers need, the scan configurations that may be
//! changed, the switches. Read with the other settings at cold start.

use super::ConfigError;
use crate::domain::gate::{HttpAuth, Rules, Switches};
use crate::domain::operation::SWITCHES;
use crate::domain::validate::is_scan_configuration_arn;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    /// `TRUSTED_ACCOUNTS`: accounts EventBridge events may come from; empty
    /// means the function's own account (from the invoked function ARN).
    pub accounts: Vec<String>,
    /// `COMMAND_SOURCES`: sources of custom command events.
    pub command_sources: Vec<String>,
    /// `PUSH_SOURCES`: sources of repository push events.
    pub push_sources: Vec<String>,
    /// `ALLOWED_SCAN_CONFIGURATION_ARNS`: when set, the only scan
    /// configurations a batch may associate or detach.
    pub allowed_scan_configuration_arns: Option<Vec<String>>,
    /// `JWT_SCOPE_PREFIX`: prefix of the scopes a JWT must carry for each
    /// route (`<prefix>scans.start`, ...).
    pub jwt_scope_prefix: String,
    /// `HTTP_AUTH` (`IAM`, `JWT` or `NONE`): the identity every HTTP API
    /// request must carry; unset, IAM (fail closed: `NONE` must be said).
    pub http_auth: HttpAuth,
    /// Every setting of `domain::operation::SWITCHES`; unset, off (fail closed).
    pub switches: Switches,
    /// The only queue SQS batches are accepted from. Not read from the
    /// environment: the ARN behind `WORK_QUEUE_URL` is derived from it
    /// (`domain::gate::queue_arn`); tests set it.
    pub work_queue_arn: Option<String>,
}

impl Default for Trust {
    fn default() -> Self {
        Self {
            accounts: Vec::new(),
            command_sources: vec!["com.example.ci".to_string()],
            push_sources: vec!["github.com".to_string(), "gitlab.com".to_string()],
            allowed_scan_configuration_arns: None,
            jwt_scope_prefix: String::new(),
            http_auth: HttpAuth::Iam,
            switches: Switches::OFF,
            work_queue_arn: None,
        }
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

use super::{Env, bad};

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub(super) fn trust(&self) -> Result<Trust, ConfigError> {
        let d = Trust::default();
        let get = |name: &str| self.get(name);
        let accounts = get("TRUSTED_ACCOUNTS")
            .map(|v| list(&v))
            .unwrap_or_default();
        if let Some(a) = accounts
            .iter()
            .find(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad(
                "TRUSTED_ACCOUNTS",
                a,
                "comma-separated 12-digit account ids",
            ));
        }
        let sources = |name: &str, default: Vec<String>| match get(name) {
            None => Ok(default),
            Some(v) => {
                let l = list(&v);
                match l
                    .iter()
                    .find(|s| s.len() > 256 || s.chars().any(char::is_control))
                {
                    Some(s) => Err(bad(name, s, "comma-separated event sources")),
                    None if l.is_empty() => Err(bad(name, &v, "at least one event source")),
                    None => Ok(l),
                }
            }
        };
        let allowed = match get("ALLOWED_SCAN_CONFIGURATION_ARNS") {
            None => None,
            Some(v) => {
                let arns = list(&v);
                if let Some(a) = arns.iter().find(|a| !is_scan_configuration_arn(a)) {
                    return Err(bad(
                        "ALLOWED_SCAN_CONFIGURATION_ARNS",
                        a,
                        "comma-separated code security scan configuration ARNs",
                    ));
                }
                Some(arns)
            }
        };
        let prefix = get("JWT_SCOPE_PREFIX").unwrap_or_default();
        if prefix.len() > 128 || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "JWT_SCOPE_PREFIX",
                &prefix,
                "a scope prefix without spaces",
            ));
        }
        // Fail closed: unset is IAM, and every switch unset is off.
        let http_auth = match get("HTTP_AUTH") {
            None => d.http_auth,
            Some(v) => {
                HttpAuth::from_name(&v).ok_or_else(|| bad("HTTP_AUTH", &v, "IAM, JWT or NONE"))?
            }
        };
        let mut switches = Switches::OFF;
        for s in SWITCHES {
            switches = switches.with(s, self.flag(s.setting)?);
        }
        Ok(Trust {
            http_auth,
            switches,
            work_queue_arn: None,
            accounts,
            command_sources: sources("COMMAND_SOURCES", d.command_sources)?,
            push_sources: sources("PUSH_SOURCES", d.push_sources)?,
            allowed_scan_configuration_arns: allowed,
            jwt_scope_prefix: prefix.trim().to_string(),
        })
    }
}

impl Trust {
    /// The gate's rules, as these settings state them.
    pub fn rules(&self) -> Rules<'_> {
        Rules {
            allowed_scan_configuration_arns: self.allowed_scan_configuration_arns.as_deref(),
            jwt_scope_prefix: &self.jwt_scope_prefix,
            http_auth: self.http_auth,
            switches: self.switches,
        }
    }

    /// May an EventBridge event from `account` be acted on? `own` is the
    /// function's own account, when known.
    pub fn trusts_account(&self, account: &str, own: Option<&str>) -> bool {
        if self.accounts.is_empty() {
            own.is_some_and(|own| own == account)
        } else {
            self.accounts.iter().any(|a| a == account)
        }
    }
}
