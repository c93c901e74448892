//! The one reader of the environment (see [`Env`]).

use super::ConfigError;
use std::time::Duration;

pub(super) fn bad(name: &str, value: &str, expected: &str) -> ConfigError {
    ConfigError::invalid(name, value, expected)
}

/// The one reader of the environment: one variable at a time, trimmed; an
/// empty value is unset; a value that does not parse is a [`ConfigError`]
/// naming the variable. Each part of the settings is read by a method of
/// its own, in this file or the one of its part.
pub(super) struct Env<F: Fn(&str) -> Option<String>>(pub(super) F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The variable's value, trimmed; `None` when unset or empty.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A switch: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    pub(super) fn flag(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) => match v.as_str() {
                "0" | "false" | "no" | "off" => Ok(false),
                "1" | "true" | "yes" | "on" => Ok(true),
                _ => Err(bad(name, &v, "true or false")),
            },
        }
    }

    /// One of `choices` (`(value, meaning)`, compared without case).
    pub(super) fn choice<T: Copy>(
        &self,
        name: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => choices
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(&v))
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    let names: Vec<&str> = choices.iter().map(|(c, _)| *c).collect();
                    bad(name, &v, &names.join(" or "))
                }),
        }
    }

    pub(super) fn number(
        &self,
        name: &str,
        default: usize,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
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
        }
    }

    /// A duration in milliseconds, 0-`max`.
    pub(super) fn ms(
        &self,
        name: &str,
        default: Duration,
        max: usize,
    ) -> Result<Duration, ConfigError> {
        self.duration(name, default, max, 1)
    }

    /// A duration in seconds, 0-`max`.
    pub(super) fn seconds(
        &self,
        name: &str,
        default: Duration,
        max: usize,
    ) -> Result<Duration, ConfigError> {
        self.duration(name, default, max, 1000)
    }

    /// A duration in units of `unit_ms` milliseconds, 0-`max` units.
    fn duration(
        &self,
        name: &str,
        default: Duration,
        max: usize,
        unit_ms: u64,
    ) -> Result<Duration, ConfigError> {
        let default = (default.as_millis() as u64 / unit_ms) as usize;
        self.number(name, default, 0..=max)
            .map(|v| Duration::from_millis(v as u64 * unit_ms))
    }
}
