//! A setting that does not hold: the cold start fails with it, naming the
//! variable. Not a request's error (never retryable, never an HTTP answer).

/// An environment variable that is invalid, or two that conflict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The variable (the first of two that conflict).
    pub variable: String,
    /// What is wrong, naming the variable.
    pub message: String,
}

impl ConfigError {
    /// `name`'s value does not parse as `expected`.
    pub fn invalid(name: &str, value: &str, expected: &str) -> Self {
        ConfigError {
            variable: name.to_string(),
            message: format!(
                "environment variable {name}={:?} is invalid: expected {expected}",
                crate::domain::error::bounded(value, crate::domain::error::MAX_SHOWN)
            ),
        }
    }

    /// `name` is invalid for a reason of its own.
    pub fn because(name: &str, why: &str) -> Self {
        ConfigError {
            variable: name.to_string(),
            message: format!("environment variable {name} is invalid: {why}"),
        }
    }

    /// `name` conflicts with another setting (the message names both).
    pub fn conflict(name: &str, message: &str) -> Self {
        ConfigError {
            variable: name.to_string(),
            message: format!("environment variables {message}"),
        }
    }
}
