//! Idempotency keys: the client tokens and run names that make a retried or
//! redelivered request start nothing new.

use super::validate::check_client_token;
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A client token for `key` (a project id or repository) under `base`:
/// `<base>-<16 hex of sha256(key)>`, at most 64 characters; a base that is
/// too long or not token-safe is replaced by 32 hex of its own hash.
pub fn derive_token(base: &str, key: &str) -> String {
    let base_ok = base.len() <= 47 && check_client_token("", base).is_ok();
    let base = if base_ok {
        base.to_string()
    } else {
        hex(&Sha256::digest(base.as_bytes()))[..32].to_string()
    };
    let suffix = &hex(&Sha256::digest(key.as_bytes()))[..16];
    format!("{base}-{suffix}")
}

/// A run name from `base`: `inspector-scan-router-<base>`, 1-140 characters.
pub fn derive_run_name(base: &str) -> String {
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .collect();
    let name = format!("inspector-scan-router-{clean}");
    if name.len() <= 140 {
        name
    } else {
        format!(
            "inspector-scan-router-{}",
            hex(&Sha256::digest(base.as_bytes()))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_deterministic_distinct_per_key_and_within_64() {
        let id = "6a7e8feb-b491-4cf7-a9f1-bf3703467718";
        let a = derive_token(id, "octo/a");
        assert_eq!(a, derive_token(id, "octo/a"));
        assert_ne!(a, derive_token(id, "octo/b"));
        assert!(a.starts_with(id) && a.len() <= 64);
        let long = derive_token(&"x".repeat(300), "k");
        assert!(long.len() <= 64 && check_client_token("t", &long).is_ok());
        // A base that is not token-safe is replaced by its hash, never sent as is.
        let unsafe_base = derive_token("has space", "k");
        assert!(
            check_client_token("t", &unsafe_base).is_ok(),
            "{unsafe_base}"
        );
        assert!(!unsafe_base.starts_with("has"), "{unsafe_base}");
        assert_eq!(unsafe_base.len(), 32 + 1 + 16);
    }

    #[test]
    fn run_names_fit_the_limit() {
        let n = derive_run_name("2026-11-21T03:00:00Z-6a7e8feb-b491-4cf7-a9f1-bf3703467718");
        assert_eq!(
            n,
            "inspector-scan-router-2026-11-21T03:00:00Z-6a7e8feb-b491-4cf7-a9f1-bf3703467718"
        );
        assert!(derive_run_name(&"y".repeat(500)).len() <= 140);
    }
}
