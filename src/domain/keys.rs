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

/// The base `token` was derived from for `key`, when it was one of
/// [`derive_token`]'s: `derive_token(base, key) == token`. Such a base is
/// token-safe and at most 47 characters, so it can be sent again as a
/// list's `clientToken` and derive the same tokens.
pub fn token_base<'a>(token: &'a str, key: &str) -> Option<&'a str> {
    let suffix = &hex(&Sha256::digest(key.as_bytes()))[..16];
    let base = token.strip_suffix(suffix)?.strip_suffix('-')?;
    (derive_token(base, key) == token).then_some(base)
}

/// A run name from `base`: `inspector-scan-router-<base>`, 1-140 characters
/// of `[A-Za-z0-9_.:-]`; a base with other characters, or too long, is
/// replaced by its hash, so two bases never give one name.
pub fn derive_run_name(base: &str) -> String {
    let clean = base
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    let name = format!("inspector-scan-router-{base}");
    if clean && !base.is_empty() && name.len() <= 140 {
        name
    } else {
        format!(
            "inspector-scan-router-{}",
            hex(&Sha256::digest(base.as_bytes()))
        )
    }
}

/// The base for a key a caller sent, namespaced by who sent it (`scope`:
/// the HTTP caller's identity, an event's account and source, `direct`):
/// `k-<32 hex of sha256(scope, key)>`. The key itself never reaches AWS, so
/// one caller cannot claim another's token, and two callers using the same
/// key get different tokens.
pub fn scoped_base(scope: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update((scope.len() as u64).to_be_bytes());
    h.update(scope.as_bytes());
    h.update(key.as_bytes());
    format!("k-{}", &hex(&h.finalize())[..32])
}

/// 64 hex of sha256 over `parts`, each length-prefixed (so no two lists
/// of parts give one digest): a FIFO queue's deduplication or group id.
pub fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
}

/// The client token of a repository push: every delivery of one push (an
/// EventBridge redelivery, a webhook redelivery, a replay) has the same
/// provider, repository and commit, so it maps to one scan.
/// `push-<48 hex of sha256(provider, repository, commit)>`.
pub fn push_token(provider: &str, repository: &str, commit: &str) -> String {
    let mut h = Sha256::new();
    for part in [provider, repository, commit] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    format!("push-{}", &hex(&h.finalize())[..48])
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
    fn token_bases_are_found_only_for_derived_tokens() {
        for base in [
            "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "has space",
            &"x".repeat(300),
        ] {
            let token = derive_token(base, "project-1");
            let found = token_base(&token, "project-1").expect("derived");
            assert_eq!(derive_token(found, "project-1"), token);
            assert_eq!(
                derive_token(found, "project-2"),
                derive_token(base, "project-2")
            );
            assert!(check_client_token("clientToken", found).is_ok());
        }
        let token = derive_token("base", "project-1");
        assert_eq!(token_base(&token, "project-2"), None, "another key");
        assert_eq!(
            token_base("deploy-1234", "project-1"),
            None,
            "a caller's own token"
        );
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

    #[test]
    fn run_names_never_merge_two_bases() {
        assert_ne!(derive_run_name("a b"), derive_run_name("ab"));
        assert_ne!(derive_run_name("a*"), derive_run_name("a"));
        assert!(!derive_run_name("a*?").contains(['*', '?']));
    }

    #[test]
    fn scoped_bases_and_push_tokens() {
        let a = scoped_base("iam:arn:aws:sts::1:assumed-role/a/x", "deploy-1235");
        assert_eq!(
            a,
            scoped_base("iam:arn:aws:sts::1:assumed-role/a/x", "deploy-1235")
        );
        assert_ne!(
            a,
            scoped_base("iam:arn:aws:sts::1:assumed-role/b/x", "deploy-1235")
        );
        assert_ne!(scoped_base("ab", "c"), scoped_base("a", "bc"));
        assert!(!a.contains("deploy"));
        let token = derive_token(&a, "project-1");
        assert!(token.starts_with(&a) && token.len() <= 64);
        assert!(check_client_token("t", &token).is_ok());
        let p = push_token("github", "octo/api", "9fceb02d");
        assert_eq!(p, push_token("github", "octo/api", "9fceb02d"));
        assert_ne!(p, push_token("gitlab", "octo/api", "9fceb02d"));
        assert_ne!(p, push_token("github", "octo/api", "9fceb02e"));
        assert_ne!(
            push_token("github", "a", "bc"),
            push_token("github", "ab", "c")
        );
        assert!(p.len() <= 64 && check_client_token("t", &p).is_ok());
    }
}
