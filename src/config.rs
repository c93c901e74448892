//! Settings from the environment, read once per cold start, grouped by the
//! side of the function that uses them: each side takes its own part.

use crate::domain::Service;
use crate::domain::validate::{check_project_id, check_repository};
use std::collections::HashMap;

mod env;
use env::{Env, bad};
mod invalid;
pub use invalid::ConfigError;
mod queue;
pub use queue::QueueSettings;
mod report;
pub use report::ReportSettings;
mod scan_watch;
pub use scan_watch::ResultsSettings;
mod trust;
use std::time::Duration;
pub use trust::Trust;

mod webhooks;
pub use webhooks::{WEBHOOK_ANSWER_WITHIN, WebhookSettings};

/// Every environment variable the settings read, with its default (`""`:
/// none, the variable is optional). The one list: [`Env`] reads no other
/// name and takes each default from here; the README's configuration table
/// is checked against it (`tests/it/contract/docs.rs`).
pub const SETTINGS: &[(&str, &str)] = &[
    ("DRY_RUN", "false"),
    ("BATCH_CONCURRENCY", "8"),
    ("PROJECT_MAP", "{}"),
    ("ASSESSMENT_TEMPLATE_ARNS", ""),
    ("PRECONNECT", "inspector2"),
    ("TRUSTED_ACCOUNTS", ""),
    ("COMMAND_SOURCES", "com.example.ci"),
    ("PUSH_SOURCES", "github.com,gitlab.com"),
    ("ALLOWED_SCAN_CONFIGURATION_ARNS", ""),
    ("JWT_SCOPE_PREFIX", ""),
    ("HTTP_AUTH", "IAM"),
    ("ASSOCIATION_ENABLED", "false"),
    ("DISASSOCIATION_ENABLED", "false"),
    ("CLASSIC_ENABLED", "false"),
    ("DISASSOCIATION_COMMANDS_ENABLED", "false"),
    ("WORK_QUEUE_URL", ""),
    ("WORK_DEAD_LETTER_QUEUE_URL", ""),
    ("SWEEP_QUEUE_URL", ""),
    ("INLINE_MAX_ITEMS", "100000"),
    ("INSPECTOR_MAX_CALLS_PER_SECOND", "0"),
    ("THROTTLED_RETRY_HOURS", "24"),
    ("SCAN_RESULTS", "events"),
    ("SCAN_WATCH_QUEUE_URL", ""),
    ("SCAN_WATCH_FIRST_DELAY_SECONDS", "60"),
    ("SCAN_WATCH_MAX_HOURS", "6"),
    ("RESULTS_EVENT_BUS", "default"),
    ("RESULTS_EVENT_SOURCE", scan_watch::DEFAULT_SOURCE),
    ("WEBHOOK_SECRET_ARN", ""),
    ("WEBHOOK_PREVIOUS_SECRET_HOURS", "24"),
    ("DRY_RUN_WEBHOOK_SECRETS", ""),
    ("REPORT_TO", "off"),
    ("FINDINGS_GATE", "critical:1"),
    ("CHECK_NAME", report::DEFAULT_CHECK_NAME),
    ("GITHUB_API_URL", report::DEFAULT_GITHUB_API_URL),
    ("GITHUB_APP_SECRET_ARN", ""),
    ("GITLAB_API_URL", ""),
    ("GITLAB_TOKEN_SECRET_ARN", ""),
];

/// The SDK clients' policy, fixed rather than configured: these four are
/// coupled (an attempt fits in the call, the call in the webhook's window,
/// the margin covers the call), so they are set together here.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// At most [`webhooks::WEBHOOK_MAX_OPERATION_TIMEOUT`]: a webhook is answered in GitHub's 10 s.
const OPERATION_TIMEOUT: Duration = webhooks::WEBHOOK_MAX_OPERATION_TIMEOUT;
/// No call starts later than this before the deadline: one whole call, and
/// a second for the answer to be written.
const DEADLINE_MARGIN: Duration = Duration::from_secs(OPERATION_TIMEOUT.as_secs() + 1);
const _: () = assert!(
    CONNECT_TIMEOUT.as_millis() <= ATTEMPT_TIMEOUT.as_millis()
        && ATTEMPT_TIMEOUT.as_millis() <= OPERATION_TIMEOUT.as_millis()
        && OPERATION_TIMEOUT.as_millis() < DEADLINE_MARGIN.as_millis()
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `DRY_RUN`: validate and plan, never call AWS.
    pub dry_run: bool,
    pub limits: Limits,
    pub sdk: SdkSettings,
    pub batch: BatchSettings,
    pub resolve: ResolveSettings,
    pub preconnect: PreconnectSettings,
    pub trust: Trust,
    pub queue: QueueSettings,
    pub results: ResultsSettings,
    pub webhooks: WebhookSettings,
    /// `REPORT_TO` and the rest: check runs and commit statuses.
    pub report: ReportSettings,
    /// No new AWS call starts when less than this is left before the
    /// invocation's deadline; those items are reported not attempted. The
    /// operation timeout and a second, so a call that starts also ends (in
    /// success or timeout) before Lambda stops the function. Fixed.
    pub deadline_margin: Duration,
}

/// What ingress needs: request limits and what a plain schedule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest HTTP body accepted; larger gets 413. Fixed at 3 MiB: room
    /// for `max_batch_items` items, under Lambda's 6 MB payload.
    pub max_body_bytes: usize,
    /// Most disassociation items (or fan-out targets) in one request. Fixed
    /// (10,000; the OpenAPI document states it): larger sets go as several requests.
    pub max_batch_items: usize,
    /// `ASSESSMENT_TEMPLATE_ARNS`: comma-separated; what a plain schedule runs.
    pub assessment_template_arns: Vec<String>,
}

/// The SDK clients' retry and timeout policy. Fixed, not configured: the
/// values are coupled (see the constants above); tests set shorter ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkSettings {
    /// Attempts per AWS call, first included (3).
    pub max_attempts: u32,
    /// Exponential backoff with jitter between attempts (100 ms, at most
    /// 5 s); a `Retry-After` is capped at the max.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Per connection, per attempt, and per call including its retries.
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
}

/// Fan-outs and disassociation batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSettings {
    /// `BATCH_CONCURRENCY`: calls in flight at once (1-64).
    pub concurrency: usize,
    /// Disassociation items the service failed with INTERNAL_ERROR are sent
    /// again, this many times (2), after this backoff (200 ms, doubling).
    /// Fixed: within one call's budget; what still fails comes back through
    /// the work queue. Tests set 0.
    pub item_retry_rounds: u32,
    pub item_retry_backoff: Duration,
    /// `INSPECTOR_MAX_CALLS_PER_SECOND`: a ceiling on the calls one
    /// environment makes to Inspector each second (unset: found from the
    /// service's throttling answers; see `inspector::pace`).
    pub max_calls_per_second: Option<u32>,
    /// Find the rate from the service's throttling answers (always, in the
    /// function; tests and benches switch it off to compare).
    pub pacing: bool,
}

/// Repository -> project resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveSettings {
    /// `PROJECT_MAP`: JSON object, repository (`owner/name` or `name`) -> project id.
    pub project_map: HashMap<String, String>,
    /// How long a repository -> project lookup is kept (300 s: a project
    /// does not move between integrations often).
    pub cache_ttl: Duration,
    /// Most cached lookups, and most names remembered unknown (1000: far
    /// more repositories than one environment sees, a few hundred KB).
    pub cache_size: usize,
    /// A repository name just found unknown is answered `RepositoryNotFound`
    /// this long without a ListCoverage call (60 s; tests set 0).
    pub negative_ttl: Duration,
}

/// `PRECONNECT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconnectSettings {
    /// Endpoints (`inspector2`, `inspector`) to open during init; empty for `none`.
    pub services: Vec<Service>,
    /// The most init waits for each of them: 500 ms, fixed (a failure only
    /// costs the first invocation its head start).
    pub timeout: Duration,
}

/// Opened at init unless `PRECONNECT` says otherwise (the measurements
/// behind this choice are in docs/BENCHMARKS.md).
pub const DEFAULT_PRECONNECT: &[Service] = &[Service::Inspector2];

impl Default for Settings {
    fn default() -> Self {
        Self {
            dry_run: false,
            limits: Limits::default(),
            sdk: SdkSettings::default(),
            batch: BatchSettings::default(),
            resolve: ResolveSettings::default(),
            preconnect: PreconnectSettings::default(),
            trust: Trust::default(),
            queue: QueueSettings::default(),
            results: ResultsSettings::default(),
            webhooks: WebhookSettings::default(),
            report: ReportSettings::default(),
            deadline_margin: DEADLINE_MARGIN,
        }
    }
}

impl Limits {
    /// The most JSON values an HTTP body may hold: room for
    /// `max_batch_items` disassociation items (four values each) and more.
    pub fn max_body_values(&self) -> usize {
        self.max_batch_items.saturating_mul(8).saturating_add(64)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // 10,000 disassociation items are about 2.2 MB as compact JSON.
            max_body_bytes: 3 * 1024 * 1024,
            max_batch_items: 10_000,
            assessment_template_arns: Vec::new(),
        }
    }
}

impl Default for SdkSettings {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            connect_timeout: CONNECT_TIMEOUT,
            attempt_timeout: ATTEMPT_TIMEOUT,
            operation_timeout: OPERATION_TIMEOUT,
        }
    }
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            concurrency: 8,
            item_retry_rounds: 2,
            item_retry_backoff: Duration::from_millis(200),
            max_calls_per_second: None,
            pacing: true,
        }
    }
}

impl Default for ResolveSettings {
    fn default() -> Self {
        Self {
            project_map: HashMap::new(),
            cache_ttl: Duration::from_secs(300),
            cache_size: 1000,
            negative_ttl: Duration::from_secs(60),
        }
    }
}

impl Default for PreconnectSettings {
    fn default() -> Self {
        Self {
            services: DEFAULT_PRECONNECT.to_vec(),
            timeout: Duration::from_millis(500),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn dry_run(&self) -> Result<bool, ConfigError> {
        self.flag("DRY_RUN")
    }

    fn limits(&self) -> Result<Limits, ConfigError> {
        let assessment_template_arns: Vec<String> = self
            .get("ASSESSMENT_TEMPLATE_ARNS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        for arn in &assessment_template_arns {
            if !arn.starts_with("arn:") || arn.len() > 300 {
                return Err(bad(
                    "ASSESSMENT_TEMPLATE_ARNS",
                    arn,
                    "comma-separated assessment template ARNs",
                ));
            }
        }
        Ok(Limits {
            assessment_template_arns,
            ..Limits::default()
        })
    }

    fn batch(&self) -> Result<BatchSettings, ConfigError> {
        Ok(BatchSettings {
            concurrency: self.number("BATCH_CONCURRENCY", 1..=64)?,
            max_calls_per_second: match self.number("INSPECTOR_MAX_CALLS_PER_SECOND", 0..=10_000)? {
                0 => None,
                n => Some(n as u32),
            },
            ..BatchSettings::default()
        })
    }

    fn resolve(&self) -> Result<ResolveSettings, ConfigError> {
        let text = self.get("PROJECT_MAP").unwrap_or_default();
        let project_map =
            parse_project_map(&text).map_err(|why| ConfigError::because("PROJECT_MAP", &why))?;
        Ok(ResolveSettings {
            project_map,
            ..ResolveSettings::default()
        })
    }

    fn preconnect(&self) -> Result<PreconnectSettings, ConfigError> {
        // Read raw: set and empty means none, unlike unset.
        let v = self
            .raw("PRECONNECT")
            .unwrap_or_else(|| default_of("PRECONNECT").to_string())
            .trim()
            .to_ascii_lowercase();
        let mut services = Vec::new();
        if !(v.is_empty() || v == "none" || v == "off") {
            for name in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let service = Service::parse(name).ok_or_else(|| {
                    bad(
                        "PRECONNECT",
                        &v,
                        "inspector2, inspector, both comma-separated, or none",
                    )
                })?;
                if !services.contains(&service) {
                    services.push(service);
                }
            }
        }
        Ok(PreconnectSettings {
            services,
            ..PreconnectSettings::default()
        })
    }
}

/// The default of `name`, from [`SETTINGS`]; a name not there is a bug.
fn default_of(name: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .unwrap_or_else(|| panic!("{name} is not in config::SETTINGS"))
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Read settings through `lookup`; a value that does not parse is an
    /// error at start-up, never a silent default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(lookup);
        let dry_run = env.dry_run()?;
        let settings = Self {
            dry_run,
            limits: env.limits()?,
            sdk: SdkSettings::default(),
            batch: env.batch()?,
            resolve: env.resolve()?,
            preconnect: env.preconnect()?,
            trust: env.trust()?,
            queue: env.queue()?,
            results: env.results()?,
            webhooks: env.webhooks(dry_run)?,
            report: env.report(dry_run)?,
            deadline_margin: DEADLINE_MARGIN,
        };
        settings.check()?;
        Ok(settings)
    }

    /// Settings that cannot work together fail the cold start, naming the
    /// variables. (The SDK's timeouts, which must fit one another, are
    /// constants checked when the crate compiles.)
    pub fn check(&self) -> Result<(), ConfigError> {
        let conflict = |message: &str| {
            let variable = message.split_whitespace().next().unwrap_or_default();
            Err(ConfigError::conflict(variable, message))
        };
        // A results event with a command or push source would be taken for
        // one by the function's own rules (and by anyone trusting that source).
        let source = &self.results.event_source;
        if self.trust.command_sources.contains(source) || self.trust.push_sources.contains(source) {
            return conflict(
                "RESULTS_EVENT_SOURCE is one of COMMAND_SOURCES or PUSH_SOURCES: results events \
                 would be taken for commands or pushes",
            );
        }
        Ok(())
    }
}

fn parse_project_map(text: &str) -> Result<HashMap<String, String>, String> {
    let map: HashMap<String, String> = serde_json::from_str(text)
        .map_err(|e| format!("expected a JSON object of repository -> project id: {e}"))?;
    for (repo, project) in &map {
        check_repository("PROJECT_MAP key", repo).map_err(|f| f.message)?;
        let mut errors = Vec::new();
        check_project_id(repo, Some(project), &mut errors);
        if let Some(e) = errors.pop() {
            return Err(format!("{}: {}", e.field, e.message));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests;
