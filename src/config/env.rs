//! The one reader of the environment (see [`Env`]).

use super::ConfigError;

pub(super) fn bad(name: &str, value: &str, expected: &str) -> ConfigError {
    ConfigError::invalid(name, value, expected)
}

/// The one reader of the environment: one variable at a time, trimmed; an
/// empty value is unset; a value that does not parse is a [`ConfigError`]
/// naming the variable. Each part of the settings is read by a method of
/// its own, in this file or the one of its part.
pub(super) struct Env<F: Fn(&str) -> Option<String>>(pub(super) F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The variable as set, untrimmed; `None` when unset. Only names in
    /// [`SETTINGS`](super::SETTINGS) are read.
    pub(super) fn raw(&self, name: &str) -> Option<String> {
        let _known = super::default_of(name);
        (self.0)(name)
    }

    /// The variable's value, trimmed, else its default from
    /// [`SETTINGS`](super::SETTINGS); `None` when both are empty.
    pub(super) fn get(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .or_else(|| Some(super::default_of(name).to_string()))
            .filter(|v| !v.is_empty())
    }

    /// A switch: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    pub(super) fn flag(&self, name: &str) -> Result<bool, ConfigError> {
        let v = self.get(name).unwrap_or_default().to_ascii_lowercase();
        match v.as_str() {
            "0" | "false" | "no" | "off" => Ok(false),
            "1" | "true" | "yes" | "on" => Ok(true),
            _ => Err(bad(name, &v, "true or false")),
        }
    }

    /// An integer within `range`.
    pub(super) fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, ConfigError> {
        let v = self.get(name).unwrap_or_default();
        v.parse::<usize>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                bad(
                    name,
                    &v,
                    &format!("an integer {}-{}", range.start(), range.end()),
                )
            })
    }
}
