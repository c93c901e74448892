use super::*;

fn with(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
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
    assert_eq!(s.batch.concurrency, 3);
    let s = with(&[("PRECONNECT", " Inspector2, inspector,inspector2 ")]).unwrap();
    assert_eq!(
        s.preconnect.services,
        [Service::Inspector2, Service::Inspector]
    );
    assert!(
        with(&[("PRECONNECT", "none")])
            .unwrap()
            .preconnect
            .services
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
    assert_eq!(s.resolve.project_map.len(), 1);
    assert_eq!(
        s.limits.assessment_template_arns,
        ["arn:aws:inspector:a", "arn:aws:inspector:b"]
    );
}

#[test]
fn invalid_values_fail_naming_the_variable() {
    for (name, value) in [
        ("DRY_RUN", "maybe"),
        ("BATCH_CONCURRENCY", "0"),
        ("MAX_BODY_BYTES", "lots"),
        ("PRECONNECT", "inspector2,s3"),
        ("PROJECT_MAP", "{\"a/b\": \"nope\"}"),
        (
            "ASSESSMENT_TEMPLATE_ARNS",
            "arn:aws:inspector:x, not-an-arn",
        ),
        ("AWS_MAX_ATTEMPTS", "11"),
        ("DEADLINE_MARGIN_MS", "-1"),
    ] {
        let e = with(&[(name, value)]).expect_err(name);
        assert!(
            e.to_string()
                .contains(&format!("environment variable {name}")),
            "{name}: {e}"
        );
        assert_eq!(e.variable, name, "a ConfigError names its variable");
    }
}

#[test]
fn settings_that_cannot_work_together_name_both_variables() {
    for (pairs, names) in [
        (
            &[("DEADLINE_MARGIN_MS", "1000")][..],
            ["DEADLINE_MARGIN_MS", "OPERATION_TIMEOUT_MS"],
        ),
        (
            &[("RETRY_INITIAL_BACKOFF_MS", "6000")][..],
            ["RETRY_MAX_BACKOFF_MS", "RETRY_INITIAL_BACKOFF_MS"],
        ),
        (
            &[
                ("ATTEMPT_TIMEOUT_MS", "9000"),
                ("DEADLINE_MARGIN_MS", "9000"),
            ][..],
            ["ATTEMPT_TIMEOUT_MS", "OPERATION_TIMEOUT_MS"],
        ),
    ] {
        let e = with(pairs).expect_err(names[0]).to_string();
        assert!(names.iter().all(|n| e.contains(n)), "{e}");
    }
    assert!(with(&[("DEADLINE_MARGIN_MS", "8000")]).is_ok());
}

#[test]
fn work_queue_settings() {
    let d = with(&[]).unwrap().queue;
    assert_eq!(d.url, None, "no queue unless WORK_QUEUE_URL is set");
    let q = with(&[
        (
            "WORK_QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/123456789012/work",
        ),
        ("INLINE_MAX_ITEMS", "40"),
        ("QUEUE_SEND_ATTEMPTS", "5"),
    ])
    .unwrap()
    .queue;
    assert_eq!(
        q.url.as_deref(),
        Some("https://sqs.us-east-1.amazonaws.com/123456789012/work")
    );
    assert_eq!((q.inline_max_items, q.send_attempts), (40, 5));
    for (name, value) in [
        ("WORK_QUEUE_URL", "work-queue"),
        ("INLINE_MAX_ITEMS", "0"),
        ("QUEUE_SEND_ATTEMPTS", "11"),
    ] {
        let e = with(&[(name, value)]).expect_err(name);
        assert!(
            e.to_string()
                .contains(&format!("environment variable {name}")),
            "{name}: {e}"
        );
    }
}

#[test]
fn unset_is_closed_iam_and_every_switch_off() {
    use crate::domain::gate::{HttpAuth, Switches};
    use crate::domain::operation::SWITCHES;
    let t = with(&[]).unwrap().trust;
    assert_eq!(t.http_auth, HttpAuth::Iam, "HTTP_AUTH unset means IAM");
    assert_eq!(t.switches, Switches::OFF, "every switch unset means off");
    let mut on: Vec<(&str, &str)> = SWITCHES.iter().map(|s| (s.setting, "true")).collect();
    on.push(("HTTP_AUTH", "none"));
    let t = with(&on).unwrap().trust;
    assert_eq!(t.http_auth, HttpAuth::None, "NONE only when said");
    assert_eq!(t.switches, Switches::ON);
    // Each setting switches its own bit and no other.
    for s in SWITCHES {
        let t = with(&[(s.setting, "true")]).unwrap().trust;
        assert_eq!(t.switches, Switches::OFF.with(s, true), "{}", s.setting);
        assert!(SWITCHES.iter().all(|o| t.switches.is_on(*o) == (o == &s)));
    }
}

#[test]
fn a_results_source_that_is_a_command_or_push_source_fails_init() {
    for pairs in [
        &[("RESULTS_EVENT_SOURCE", "com.example.ci")][..],
        &[("RESULTS_EVENT_SOURCE", "github.com")][..],
        &[
            ("COMMAND_SOURCES", "ci.one,ci.two"),
            ("RESULTS_EVENT_SOURCE", "ci.two"),
        ][..],
    ] {
        let e = with(pairs).expect_err("a conflict");
        assert_eq!(e.variable, "RESULTS_EVENT_SOURCE", "{e}");
        assert!(e.to_string().contains("COMMAND_SOURCES"), "{e}");
    }
    assert!(with(&[("RESULTS_EVENT_SOURCE", "ci.results")]).is_ok());
}
