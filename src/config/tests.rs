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
        ("INLINE_MAX_ITEMS", "lots"),
        ("PRECONNECT", "inspector2,s3"),
        ("PROJECT_MAP", "{\"a/b\": \"nope\"}"),
        (
            "ASSESSMENT_TEMPLATE_ARNS",
            "arn:aws:inspector:x, not-an-arn",
        ),
        ("THROTTLED_RETRY_HOURS", "0"),
        ("SCAN_RESULTS", "sometimes"),
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
fn the_settings_read_are_exactly_the_list_and_its_defaults_are_the_defaults() {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    let asked = Mutex::new(BTreeSet::new());
    for dry_run in [None, Some("true")] {
        Settings::from_lookup(|k| {
            asked.lock().unwrap().insert(k.to_string());
            (k == "DRY_RUN")
                .then_some(dry_run)
                .flatten()
                .map(str::to_string)
        })
        .unwrap();
    }
    let listed: BTreeSet<String> = SETTINGS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        asked.into_inner().unwrap(),
        listed,
        "every name read is listed, and read"
    );
    assert_eq!(listed.len(), SETTINGS.len(), "no name listed twice");
    // Every listed default, given explicitly, is what unset means.
    let explicit: Vec<(&str, &str)> = SETTINGS
        .iter()
        .copied()
        .filter(|(_, d)| !d.is_empty())
        .collect();
    assert_eq!(with(&explicit).unwrap(), Settings::default());
}

#[test]
fn the_fixed_values_are_not_read() {
    for name in [
        "OPERATION_TIMEOUT_MS",
        "DEADLINE_MARGIN_MS",
        "QUEUE_SEND_ATTEMPTS",
        "WORK_QUEUE_ARN",
        "METRICS_NAMESPACE",
    ] {
        assert_eq!(with(&[(name, "1")]).unwrap(), Settings::default(), "{name}");
    }
    let d = Settings::default();
    assert!(d.sdk.attempt_timeout <= d.sdk.operation_timeout);
    assert!(d.deadline_margin > d.sdk.operation_timeout);
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
    ])
    .unwrap()
    .queue;
    assert_eq!(
        q.url.as_deref(),
        Some("https://sqs.us-east-1.amazonaws.com/123456789012/work")
    );
    assert_eq!(q.inline_max_items, 40);
    for (name, value) in [("WORK_QUEUE_URL", "work-queue"), ("INLINE_MAX_ITEMS", "0")] {
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
