//! Settings from the environment, read once per cold start.

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `DRY_RUN`: validate and plan, never call AWS.
    pub dry_run: bool,
    /// `BATCH_CONCURRENCY`: disassociation calls in flight at once (1-64).
    pub batch_concurrency: usize,
    /// `MAX_BODY_BYTES`: largest HTTP body accepted; larger gets 413.
    pub max_body_bytes: usize,
    /// `MAX_BATCH_ITEMS`: most disassociation items in one request.
    pub max_batch_items: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            dry_run: false,
            batch_concurrency: 8,
            max_body_bytes: 4 * 1024 * 1024,
            max_batch_items: 10_000,
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
        Ok(Self {
            dry_run,
            batch_concurrency: number("BATCH_CONCURRENCY", d.batch_concurrency, 1..=64)?,
            max_body_bytes: number("MAX_BODY_BYTES", d.max_body_bytes, 1024..=6 * 1024 * 1024)?,
            max_batch_items: number("MAX_BATCH_ITEMS", d.max_batch_items, 1..=100_000)?,
        })
    }
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
    }

    #[test]
    fn invalid_values_fail_loudly() {
        assert!(with(&[("DRY_RUN", "maybe")]).is_err());
        assert!(with(&[("BATCH_CONCURRENCY", "0")]).is_err());
        assert!(with(&[("MAX_BODY_BYTES", "lots")]).is_err());
    }
}
