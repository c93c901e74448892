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
    /// `DEADLINE_MARGIN_MS`: no new AWS call starts when less than this is
    /// left before the invocation's deadline; those items are reported
    /// not attempted. At least the operation timeout, so a call that starts
    /// also ends (in success or timeout) before Lambda stops the function.
    pub deadline_margin: Duration,
}

/// What ingress needs: request limits and what a plain schedule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `MAX_BODY_BYTES`: largest HTTP body accepted; larger gets 413.
    pub max_body_bytes: usize,
    /// `MAX_BATCH_ITEMS`: most disassociation items (or fan-out targets) in one request.
    pub max_batch_items: usize,
    /// `ASSESSMENT_TEMPLATE_ARNS`: comma-separated; what a plain schedule runs.
    pub assessment_template_arns: Vec<String>,
}

/// The SDK clients' retry and timeout policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkSettings {
    /// `AWS_MAX_ATTEMPTS`: attempts per AWS call, first included (1-10).
    pub max_attempts: u32,
    /// `RETRY_INITIAL_BACKOFF_MS` / `RETRY_MAX_BACKOFF_MS`: exponential
    /// backoff with jitter between attempts; a `Retry-After` is capped at the max.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// `CONNECT_TIMEOUT_MS`, `ATTEMPT_TIMEOUT_MS`, `OPERATION_TIMEOUT_MS`:
    /// per connection, per attempt, and per call including its retries.
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
}

/// Fan-outs and disassociation batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSettings {
    /// `BATCH_CONCURRENCY`: calls in flight at once (1-64).
    pub concurrency: usize,
    /// `ITEM_RETRY_ROUNDS` / `ITEM_RETRY_BACKOFF_MS`: disassociation items
    /// the service failed with INTERNAL_ERROR are sent again, this many
    /// times, after this backoff (doubling).
    pub item_retry_rounds: u32,
    pub item_retry_backoff: Duration,
    /// `INSPECTOR_MAX_CALLS_PER_SECOND`: a ceiling on the calls one
    /// environment makes to Inspector each second (unset: found from the
    /// service's throttling answers; see `inspector::pace`).
    pub max_calls_per_second: Option<u32>,
    /// `INSPECTOR_PACING`: `adaptive` (the default) finds the rate from the
    /// service's throttling answers; `off` leaves only the ceiling, if any,
    /// and the bound on calls in flight.
    pub pacing: bool,
}

/// Repository -> project resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveSettings {
    /// `PROJECT_MAP`: JSON object, repository (`owner/name` or `name`) -> project id.
    pub project_map: HashMap<String, String>,
    /// `RESOLVE_CACHE_TTL_SECONDS`: how long a repository -> project lookup is kept.
    pub cache_ttl: Duration,
    /// `RESOLVE_CACHE_SIZE`: most cached lookups (and most names
    /// remembered unknown).
    pub cache_size: usize,
    /// `RESOLVE_NEGATIVE_CACHE_SECONDS`: a repository name just found
    /// unknown is answered `RepositoryNotFound` this long without a
    /// ListCoverage call (0: not remembered).
    pub negative_ttl: Duration,
}

/// `PRECONNECT` / `PRECONNECT_TIMEOUT_MS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconnectSettings {
    /// Endpoints (`inspector2`, `inspector`) to open during init; empty for `none`.
    pub services: Vec<Service>,
    /// The most init waits for each of them.
    pub timeout: Duration,
}

/// Opened at init unless `PRECONNECT` says otherwise (the measurements
/// behind this choice are in the README's Benchmarks section).
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
            deadline_margin: Duration::from_secs(9),
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
            connect_timeout: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(3),
            operation_timeout: Duration::from_secs(8),
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
        self.flag("DRY_RUN", false)
    }

    fn limits(&self) -> Result<Limits, ConfigError> {
        let d = Limits::default();
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
            max_body_bytes: self.number(
                "MAX_BODY_BYTES",
                d.max_body_bytes,
                1024..=6 * 1024 * 1024,
            )?,
            max_batch_items: self.number("MAX_BATCH_ITEMS", d.max_batch_items, 1..=100_000)?,
            assessment_template_arns,
        })
    }

    fn sdk(&self) -> Result<SdkSettings, ConfigError> {
        let d = SdkSettings::default();
        Ok(SdkSettings {
            max_attempts: self.number("AWS_MAX_ATTEMPTS", d.max_attempts as usize, 1..=10)? as u32,
            initial_backoff: self.ms("RETRY_INITIAL_BACKOFF_MS", d.initial_backoff, 60_000)?,
            max_backoff: self.ms("RETRY_MAX_BACKOFF_MS", d.max_backoff, 60_000)?,
            connect_timeout: self.ms("CONNECT_TIMEOUT_MS", d.connect_timeout, 60_000)?,
            attempt_timeout: self.ms("ATTEMPT_TIMEOUT_MS", d.attempt_timeout, 900_000)?,
            operation_timeout: self.ms("OPERATION_TIMEOUT_MS", d.operation_timeout, 900_000)?,
        })
    }

    fn batch(&self) -> Result<BatchSettings, ConfigError> {
        let d = BatchSettings::default();
        Ok(BatchSettings {
            concurrency: self.number("BATCH_CONCURRENCY", d.concurrency, 1..=64)?,
            item_retry_rounds: self.number(
                "ITEM_RETRY_ROUNDS",
                d.item_retry_rounds as usize,
                0..=10,
            )? as u32,
            item_retry_backoff: self.ms("ITEM_RETRY_BACKOFF_MS", d.item_retry_backoff, 60_000)?,
            max_calls_per_second: match self.number(
                "INSPECTOR_MAX_CALLS_PER_SECOND",
                0,
                0..=10_000,
            )? {
                0 => None,
                n => Some(n as u32),
            },
            pacing: self.choice(
                "INSPECTOR_PACING",
                &[("adaptive", true), ("off", false)],
                true,
            )?,
        })
    }

    fn resolve(&self) -> Result<ResolveSettings, ConfigError> {
        let d = ResolveSettings::default();
        let project_map = match self.get("PROJECT_MAP") {
            None => HashMap::new(),
            Some(v) => {
                parse_project_map(&v).map_err(|why| ConfigError::because("PROJECT_MAP", &why))?
            }
        };
        Ok(ResolveSettings {
            project_map,
            cache_ttl: self.seconds("RESOLVE_CACHE_TTL_SECONDS", d.cache_ttl, 86_400)?,
            cache_size: self.number("RESOLVE_CACHE_SIZE", d.cache_size, 0..=100_000)?,
            negative_ttl: self.seconds("RESOLVE_NEGATIVE_CACHE_SECONDS", d.negative_ttl, 3_600)?,
        })
    }

    fn preconnect(&self) -> Result<PreconnectSettings, ConfigError> {
        let d = PreconnectSettings::default();
        // Read raw: set and empty means none, unlike unset.
        let services = match (self.0)("PRECONNECT").map(|v| v.trim().to_ascii_lowercase()) {
            None => d.services,
            Some(v) if v.is_empty() || v == "none" || v == "off" => Vec::new(),
            Some(v) => {
                let mut services = Vec::new();
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
                services
            }
        };
        Ok(PreconnectSettings {
            services,
            timeout: self.ms("PRECONNECT_TIMEOUT_MS", d.timeout, 9_000)?,
        })
    }
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
            sdk: env.sdk()?,
            batch: env.batch()?,
            resolve: env.resolve()?,
            preconnect: env.preconnect()?,
            trust: env.trust()?,
            queue: env.queue()?,
            results: env.results()?,
            webhooks: env.webhooks(dry_run)?,
            report: env.report(dry_run)?,
            deadline_margin: env.ms(
                "DEADLINE_MARGIN_MS",
                Settings::default().deadline_margin,
                900_000,
            )?,
        };
        settings.check()?;
        Ok(settings)
    }

    /// Settings that cannot work together fail the cold start, naming the
    /// variables.
    pub fn check(&self) -> Result<(), ConfigError> {
        let conflict = |message: &str| {
            let variable = message.split_whitespace().next().unwrap_or_default();
            Err(ConfigError::conflict(variable, message))
        };
        let s = &self.sdk;
        if self.deadline_margin < s.operation_timeout {
            return conflict(
                "DEADLINE_MARGIN_MS is shorter than OPERATION_TIMEOUT_MS: a call started just \
                 before the margin could outlive the invocation",
            );
        }
        if s.max_backoff < s.initial_backoff {
            return conflict("RETRY_MAX_BACKOFF_MS is shorter than RETRY_INITIAL_BACKOFF_MS");
        }
        if s.attempt_timeout > s.operation_timeout {
            return conflict(
                "ATTEMPT_TIMEOUT_MS is longer than OPERATION_TIMEOUT_MS: no attempt could use it",
            );
        }
        if self.preconnect.timeout > s.operation_timeout && !self.preconnect.services.is_empty() {
            return conflict("PRECONNECT_TIMEOUT_MS is longer than OPERATION_TIMEOUT_MS");
        }
        // A results event with a command or push source would be taken for
        // one by the function's own rules (and by anyone trusting that source).
        let source = &self.results.event_source;
        if self.trust.command_sources.contains(source) || self.trust.push_sources.contains(source) {
            return conflict(
                "RESULTS_EVENT_SOURCE is one of COMMAND_SOURCES or PUSH_SOURCES: results events \
                 would be taken for commands or pushes",
            );
        }
        webhooks::check(self)
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
