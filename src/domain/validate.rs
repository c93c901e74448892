//! Validation against the service's documented limits, shared by every
//! way a request arrives (a value shown back goes through `error::bounded`).

use super::error::{Error, FieldError, MAX_SHOWN, bounded};
use regex::Regex;
use serde::Deserialize;
use std::sync::LazyLock;

// The patterns are public: the OpenAPI document (src/contract/) states them.
pub const PROJECT_ID_PATTERN: &str =
    r"^project-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$";
pub const SCAN_CONFIGURATION_ARN_PATTERN: &str = r"^arn:(aws[a-zA-Z-]*)?:inspector2:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:owner/([0-9]{12}|o-[a-z0-9]{10,32})/codesecurity-configuration/[a-f0-9-]{36}$";
/// Inspector's `CodeSecurityUuid`, what StartCodeSecurityScan answers and
/// GetCodeSecurityScan takes: any other value would cost a call to be
/// refused with its ValidationException.
pub const SCAN_ID_PATTERN: &str = r"^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$";
pub const REPOSITORY_PATTERN: &str = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$";

static PROJECT_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(PROJECT_ID_PATTERN).expect("valid regex"));
static SCAN_CONFIGURATION_ARN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(SCAN_CONFIGURATION_ARN_PATTERN).expect("valid regex"));
static SCAN_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(SCAN_ID_PATTERN).expect("valid regex"));

pub fn check_project_id(field: &str, value: Option<&str>, errors: &mut Vec<FieldError>) -> String {
    match value {
        None => errors.push(FieldError::new(field, "is required")),
        Some(v) if !PROJECT_ID.is_match(v) => errors.push(FieldError::new(
            field,
            format!(
                "\"{}\" is not a project id (expected project-<uuid>, lowercase hex)",
                bounded(v, MAX_SHOWN)
            ),
        )),
        Some(v) => return v.to_string(),
    }
    String::new()
}

/// 1-64 printable ASCII characters, no spaces.
pub fn check_client_token(field: &str, value: &str) -> Result<(), FieldError> {
    let len = value.chars().count();
    if !(1..=64).contains(&len) {
        return Err(FieldError::new(
            field,
            format!("must be 1-64 characters, got {len}"),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::new(
            field,
            "must be printable ASCII without spaces",
        ));
    }
    Ok(())
}

pub fn check_len(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> bool {
    let len = value.chars().count();
    if len == 0 || len > max {
        errors.push(FieldError::new(
            field,
            format!("must be 1-{max} characters, got {len}"),
        ));
        return false;
    }
    if value.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
        return false;
    }
    true
}

/// `value` if no check failed, else one error naming every failed field.
pub fn finish<T>(value: T, errors: Vec<FieldError>) -> Result<T, Error> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Error::invalid(errors))
    }
}

static REPOSITORY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(REPOSITORY_PATTERN).expect("valid regex"));

pub fn check_repository(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() || value.len() > 512 {
        return Err(FieldError::new(field, "must be 1-512 characters"));
    }
    if !REPOSITORY.is_match(value) || value.split('/').any(|s| s == "." || s == "..") {
        return Err(FieldError::new(
            field,
            format!(
                "\"{}\" is not a repository name (owner/name or name)",
                bounded(value, MAX_SHOWN)
            ),
        ));
    }
    Ok(())
}

/// An idempotency key a caller sends (`idempotencyKey`, `Idempotency-Key`):
/// 1-1,024 printable characters.
pub fn check_idempotency_key(field: &str, value: &str) -> Result<(), FieldError> {
    let len = value.chars().count();
    if !(1..=1024).contains(&len) {
        return Err(FieldError::new(
            field,
            format!("must be 1-1024 characters, got {len}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must be printable characters"));
    }
    Ok(())
}

/// A code security scan configuration ARN, as the service's pattern has it.
pub fn is_scan_configuration_arn(value: &str) -> bool {
    SCAN_CONFIGURATION_ARN.is_match(value)
}

/// A project id: `project-<uuid>`, lowercase hex.
pub fn is_project_id(value: &str) -> bool {
    PROJECT_ID.is_match(value)
}

/// A scan id: a lowercase UUID, as Inspector gives them.
pub fn is_scan_id(value: &str) -> bool {
    SCAN_ID.is_match(value)
}

/// For `Option` fields of request shapes: a missing field is `None`, but an
/// explicit `null` is an error, so a caller's bug is named, not defaulted.
pub fn non_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(d)? {
        None => Err(serde::de::Error::custom(
            "must not be null: leave the field out instead",
        )),
        some => Ok(some),
    }
}

/// `{"projectId"}`: the resource of a request, in AWS's shape.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ResourceInput {
    #[serde(default, deserialize_with = "non_null")]
    pub project_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG_ARN: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

    #[test]
    fn gov_and_org_arns_match_the_service_pattern() {
        for arn in [
            "arn:aws-us-gov:inspector2:us-gov-west-1:123456789012:owner/o-abcdefghij/codesecurity-configuration/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
            CONFIG_ARN,
        ] {
            assert!(is_scan_configuration_arn(arn), "{arn}");
        }
        assert!(!is_scan_configuration_arn(&format!("{CONFIG_ARN}\n")));
        // Digits are ASCII digits only, not any Unicode decimal digit.
        let arabic = CONFIG_ARN.replacen("123456789012", "١٢٣٤٥٦٧٨٩٠١٢", 1);
        assert!(!is_scan_configuration_arn(&arabic));
    }

    #[test]
    fn a_value_is_shown_escaped_and_cut() {
        assert_eq!(bounded("a\u{1b}[31m\n", MAX_SHOWN), "a\\u{1b}[31m\\n");
        // Quotes cannot be closed early; separators, bidi overrides and
        // zero-width characters are shown, not obeyed.
        assert_eq!(bounded(r#"x" ok "y\"#, MAX_SHOWN), r#"x\" ok \"y\\"#);
        assert_eq!(
            bounded("a\u{2028}b\u{202e}c\u{200b}d", MAX_SHOWN),
            "a\\u{2028}b\\u{202e}c\\u{200b}d"
        );
        let long = bounded(&"y".repeat(500), MAX_SHOWN);
        assert_eq!(long, format!("{}...", "y".repeat(MAX_SHOWN)));
    }
}
