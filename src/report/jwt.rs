//! The GitHub App's JWT (RS256), signed with aws-lc-rs: issued 60 s in
//! the past (clock drift), expiring 9 minutes on (GitHub allows 10), `iss`
//! the app id. The key and the token are never logged; an error names
//! what was wrong, never a value.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

/// The JWT for app `app_id` at `now` (Unix seconds).
pub fn app_jwt(app_id: &str, private_key_pem: &str, now: u64) -> Result<String, String> {
    let key = key(private_key_pem)?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = json!({"iat": now.saturating_sub(60), "exp": now + 540, "iss": app_id});
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{claims}");
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "the GitHub App key could not sign".to_string())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// An RSA key from PEM: PKCS#1 (`BEGIN RSA PRIVATE KEY`, what GitHub
/// hands out) or PKCS#8 (`BEGIN PRIVATE KEY`).
fn key(pem: &str) -> Result<RsaKeyPair, String> {
    let pkcs1 = pem.contains("-----BEGIN RSA PRIVATE KEY-----");
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    let der = STANDARD
        .decode(body.as_bytes())
        .map_err(|_| "the GitHub App key is not PEM".to_string())?;
    let key = if pkcs1 {
        RsaKeyPair::from_der(&der)
    } else {
        RsaKeyPair::from_pkcs8(&der)
    };
    key.map_err(|_| "the GitHub App key is not an RSA private key".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_one_is_an_error_without_its_text() {
        let e = app_jwt(
            "1",
            "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n-----END RSA PRIVATE KEY-----",
            0,
        )
        .unwrap_err();
        assert!(!e.contains("c2VjcmV0"), "{e}");
        assert!(app_jwt("1", "not pem at all!", 0).is_err());
    }
}
