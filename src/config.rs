//! Settings from the environment, read once per cold start.

use crate::error::Error;
use crate::model::check_repository;
use crate::preconnect::Service;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `DRY_RUN`: validate and plan, never call AWS.
    pub dry_run: bool,
    /// `BATCH_CONCURRENCY`: disassociation calls in flight at once (1-64).
    pub batch_concurrency: usize,
    /// `MAX_BODY_BYTES`: largest HTTP body accepted; larger gets 413.
    pub max_body_bytes: usize,
    /// `MAX_BATCH_ITEMS`: most disassociation items (or fan-out targets) in one request.
    pub max_batch_items: usize,
    /// `PROJECT_MAP`: JSON object, repository (`owner/name` or `name`) -> project id.
    pub project_map: HashMap<String, String>,
    /// `ASSESSMENT_TEMPLATE_ARNS`: comma-separated; what a plain schedule runs.
    pub assessment_template_arns: Vec<String>,
    /// `RESOLVE_CACHE_TTL_SECONDS`: how long a repository -> project lookup is kept.
    pub resolve_cache_ttl: Duration,
    /// `RESOLVE_CACHE_SIZE`: most cached lookups.
    pub resolve_cache_size: usize,
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
    /// `DEADLINE_MARGIN_MS`: no new AWS call starts when less than this is
    /// left before the invocation's deadline; those items are reported
    /// not attempted. At least the operation timeout, so a call that starts
    /// also ends (in success or timeout) before Lambda stops the function.
    pub deadline_margin: Duration,
    /// `ITEM_RETRY_ROUNDS` / `ITEM_RETRY_BACKOFF_MS`: disassociation items
    /// the service failed with INTERNAL_ERROR are sent again, this many
    /// times, after this backoff (doubling).
    pub item_retry_rounds: u32,
    pub item_retry_backoff: Duration,
    /// `PRECONNECT`: comma-separated endpoints (`inspector2`, `inspector`) to
    /// open during init, or `none`. See [`crate::preconnect`].
    pub preconnect: Vec<Service>,
    /// `PRECONNECT_TIMEOUT_MS`: the most init waits for each of them.
    pub preconnect_timeout: Duration,
}

/// Opened at init unless `PRECONNECT` says otherwise (the measurements
/// behind this choice are in the README's Benchmarks section).
pub const DEFAULT_PRECONNECT: &[Service] = &[Service::Inspector2];

impl Default for Settings {
    fn default() -> Self {
        Self {
            dry_run: false,
            batch_concurrency: 8,
            max_body_bytes: 4 * 1024 * 1024,
            max_batch_items: 10_000,
            project_map: HashMap::new(),
            assessment_template_arns: Vec::new(),
            resolve_cache_ttl: Duration::from_secs(300),
            resolve_cache_size: 1000,
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(1),
            attempt_timeout: Duration::from_secs(3),
            operation_timeout: Duration::from_secs(8),
            deadline_margin: Duration::from_secs(9),
            item_retry_rounds: 2,
            item_retry_backoff: Duration::from_millis(200),
            preconnect: DEFAULT_PRECONNECT.to_vec(),
            preconnect_timeout: Duration::from_millis(500),
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Read settings through `lookup`; a value that does not parse is an
    /// error at start-up, never a silent default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let d = Settings::default();
        let bad = |name: &str, value: &str, expected: &str| Error::Internal {
            message: format!(
                "environment variable {name}={value:?} is invalid: expected {expected}"
            ),
        };
        let number =
            |name: &str, default: usize, range: std::ops::RangeInclusive<usize>| match lookup(name)
                .filter(|v| !v.trim().is_empty())
            {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| {
                        bad(
                            name,
                            &v,
                            &format!("an integer {}-{}", range.start(), range.end()),
                        )
                    }),
            };
        let dry_run = match lookup("DRY_RUN").map(|v| v.trim().to_ascii_lowercase()) {
            None => d.dry_run,
            Some(v) => match v.as_str() {
                "" | "0" | "false" | "no" | "off" => false,
                "1" | "true" | "yes" | "on" => true,
                _ => return Err(bad("DRY_RUN", &v, "true or false")),
            },
        };
        let project_map = match lookup("PROJECT_MAP").filter(|v| !v.trim().is_empty()) {
            None => HashMap::new(),
            Some(v) => parse_project_map(&v).map_err(|why| Error::Internal {
                message: format!("environment variable PROJECT_MAP is invalid: {why}"),
            })?,
        };
        let assessment_template_arns: Vec<String> = lookup("ASSESSMENT_TEMPLATE_ARNS")
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
        let preconnect = match lookup("PRECONNECT").map(|v| v.trim().to_ascii_lowercase()) {
            None => d.preconnect,
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
        let ms = |name: &str, default: Duration, max: usize| {
            number(name, default.as_millis() as usize, 0..=max)
                .map(|v| Duration::from_millis(v as u64))
        };
        Ok(Self {
            max_attempts: number("AWS_MAX_ATTEMPTS", d.max_attempts as usize, 1..=10)? as u32,
            initial_backoff: ms("RETRY_INITIAL_BACKOFF_MS", d.initial_backoff, 60_000)?,
            max_backoff: ms("RETRY_MAX_BACKOFF_MS", d.max_backoff, 60_000)?,
            connect_timeout: ms("CONNECT_TIMEOUT_MS", d.connect_timeout, 60_000)?,
            attempt_timeout: ms("ATTEMPT_TIMEOUT_MS", d.attempt_timeout, 900_000)?,
            operation_timeout: ms("OPERATION_TIMEOUT_MS", d.operation_timeout, 900_000)?,
            deadline_margin: ms("DEADLINE_MARGIN_MS", d.deadline_margin, 900_000)?,
            item_retry_rounds: number("ITEM_RETRY_ROUNDS", d.item_retry_rounds as usize, 0..=10)?
                as u32,
            item_retry_backoff: ms("ITEM_RETRY_BACKOFF_MS", d.item_retry_backoff, 60_000)?,
            preconnect,
            preconnect_timeout: ms("PRECONNECT_TIMEOUT_MS", d.preconnect_timeout, 9_000)?,
            project_map,
            assessment_template_arns,
            resolve_cache_ttl: Duration::from_secs(number(
                "RESOLVE_CACHE_TTL_SECONDS",
                300,
                0..=86_400,
            )? as u64),
            resolve_cache_size: number("RESOLVE_CACHE_SIZE", d.resolve_cache_size, 0..=100_000)?,
            dry_run,
            batch_concurrency: number("BATCH_CONCURRENCY", d.batch_concurrency, 1..=64)?,
            max_body_bytes: number("MAX_BODY_BYTES", d.max_body_bytes, 1024..=6 * 1024 * 1024)?,
            max_batch_items: number("MAX_BATCH_ITEMS", d.max_batch_items, 1..=100_000)?,
        })
    }
}

fn parse_project_map(text: &str) -> Result<HashMap<String, String>, String> {
    let map: HashMap<String, String> = serde_json::from_str(text)
        .map_err(|e| format!("expected a JSON object of repository -> project id: {e}"))?;
    for (repo, project) in &map {
        check_repository("PROJECT_MAP key", repo).map_err(|f| f.message)?;
        let mut errors = Vec::new();
        crate::model::check_project_id(repo, Some(project), &mut errors);
        if let Some(e) = errors.pop() {
            return Err(format!("{}: {}", e.field, e.message));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Settings, Error> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(with(&[]).unwrap(), Settings::default());
        let s = with(&[("DRY_RUN", "TRUE"), ("BATCH_CONCURRENCY", "3")]).unwrap();
        assert!(s.dry_run);
        assert_eq!(s.batch_concurrency, 3);
        let s = with(&[("PRECONNECT", " Inspector2, inspector,inspector2 ")]).unwrap();
        assert_eq!(s.preconnect, [Service::Inspector2, Service::Inspector]);
        assert!(
            with(&[("PRECONNECT", "none")])
                .unwrap()
                .preconnect
                .is_empty()
        );
        let s = with(&[
            (
                "PROJECT_MAP",
                "{\"octo/api\": \"project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d\"}",
            ),
            (
                "ASSESSMENT_TEMPLATE_ARNS",
                " arn:aws:inspector:a ,arn:aws:inspector:b,",
            ),
        ])
        .unwrap();
        assert_eq!(s.project_map.len(), 1);
        assert_eq!(
            s.assessment_template_arns,
            ["arn:aws:inspector:a", "arn:aws:inspector:b"]
        );
    }

    #[test]
    fn invalid_values_fail_loudly() {
        assert!(with(&[("DRY_RUN", "maybe")]).is_err());
        assert!(with(&[("BATCH_CONCURRENCY", "0")]).is_err());
        assert!(with(&[("MAX_BODY_BYTES", "lots")]).is_err());
        assert!(with(&[("PRECONNECT", "inspector2,s3")]).is_err());
        assert!(with(&[("PROJECT_MAP", "{\"a/b\": \"nope\"}")]).is_err());
        assert!(
            with(&[(
                "ASSESSMENT_TEMPLATE_ARNS",
                "arn:aws:inspector:x, not-an-arn"
            )])
            .is_err()
        );
    }
}
