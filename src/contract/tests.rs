use super::answers::AWS_CODES;
use super::schemas::{
    CLIENT_TOKEN_PATTERN, idempotency_key_pattern, run_name_pattern, template_arn_pattern,
};
use crate::domain::FieldError;
use crate::domain::validate::{check_client_token, check_idempotency_key, check_len};
use crate::inspector::kind_for;
use regex::Regex;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

/// `scripts/openapi` runs this with OPENAPI_WRITE=1 to write the document;
/// otherwise it fails when the committed document is not the code's.
#[test]
fn openapi_json_is_what_the_code_serves() {
    let text = super::text();
    if std::env::var_os("OPENAPI_WRITE").is_some() {
        std::fs::write(FILE, &text).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(
        committed == text,
        "openapi.json differs from the code's contract: run scripts/openapi and commit the result"
    );
}

#[test]
fn aws_codes_have_the_kinds_the_adapter_gives_them() {
    for (code, kind) in AWS_CODES {
        assert_eq!(kind_for(code, 500), kind, "{code}");
    }
}

/// The patterns the document states for checks the code makes without a
/// regex agree with those checks. (The crate's regex has no Unicode
/// classes, so the `\uXXXX` escapes are spelled out as characters.)
fn regex(pattern: &str) -> Regex {
    let spelled = pattern
        .replace(r"\u0000", "\\x00")
        .replace(r"\u001f", "\\x1f")
        .replace(r"\u007f", "\\x7f")
        .replace(r"\u009f", "\\x{9f}");
    regex::RegexBuilder::new(&spelled)
        .unicode(true)
        .build()
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

#[test]
fn stated_patterns_agree_with_the_checks() {
    let samples = [
        "",
        "a",
        " ",
        "a b",
        "tok-1",
        "*",
        "?",
        "a*b",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "é",
        "a\nb",
        "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b",
        "arn:",
        "arn",
        ",",
        "a,b",
    ];
    let long = |n| "x".repeat(n);
    let mut values: Vec<String> = samples.iter().map(|s| s.to_string()).collect();
    for n in [63, 64, 65, 139, 140, 141, 296, 300, 301, 1024, 1025] {
        values.push(long(n));
        values.push(format!("arn:{}", long(n - 4)));
    }
    let token = regex(CLIENT_TOKEN_PATTERN);
    let key = regex(&idempotency_key_pattern());
    let arn = regex(&template_arn_pattern());
    let run = regex(&run_name_pattern());
    for v in &values {
        assert_eq!(
            token.is_match(v),
            check_client_token("f", v).is_ok(),
            "{v:?}"
        );
        assert_eq!(
            key.is_match(v),
            check_idempotency_key("f", v).is_ok(),
            "{v:?}"
        );
        let mut errors: Vec<FieldError> = Vec::new();
        let arn_ok = check_len("f", v, 300, &mut errors) && v.starts_with("arn:");
        assert_eq!(arn.is_match(v), arn_ok, "{v:?}");
        let run_ok = check_len("f", v, 140, &mut errors) && !v.contains(['*', '?']);
        assert_eq!(run.is_match(v), run_ok, "{v:?}");
    }
}
