//! The SAM template agrees with the code: every HTTP route the router serves
//! is an API route, every command detail-type is in the rule, and the
//! function's role grants exactly the Inspector actions the code calls; only
//! the webhook routes go without an authorizer, and the one secret the
//! function reads is the webhook secret.
//!
//! template.yaml is parsed, CloudFormation's short forms (`!Ref`, `!GetAtt`,
//! `!Sub`, `!If`, ...) as tagged values, and compared with expected values
//! written as YAML too: `assert_eq!(env(t)["X"], yaml("!Ref Y"))`. The
//! helpers below are for any test of the template: `resource`, `props`,
//! `parameter`, `condition`, `env`, `statements`, `http_events`.

use inspector_scan_router::domain::Operation;
use inspector_scan_router::ingress::http::ROUTE_SCOPES;
use inspector_scan_router::ingress::webhook::WEBHOOK_ROUTES;
use inspector_scan_router::ingress::{HTTP_ROUTES, event_operations};
use inspector_scan_router::secrets::manager::GET_SECRET_VALUE;
use inspector_scan_router::telemetry;
use regex::Regex;
use serde_yaml_ng::{Mapping, Value as Yaml};
use std::collections::BTreeSet;
use std::sync::OnceLock;

// ---- reading the template ----------------------------------------------------

/// template.yaml, parsed once.
pub(crate) fn template() -> &'static Yaml {
    static T: OnceLock<Yaml> = OnceLock::new();
    T.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml");
        yaml(&std::fs::read_to_string(path).unwrap())
    })
}

/// A piece of YAML: `yaml("!GetAtt WorkQueue.Arn")`.
pub(crate) fn yaml(text: &str) -> Yaml {
    serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// One line of YAML, for messages and sets: `!GetAtt WorkQueue.Arn`.
pub(crate) fn show(v: &Yaml) -> String {
    serde_yaml_ng::to_string(v).unwrap().trim().to_string()
}

fn section<'a>(t: &'a Yaml, section: &str, name: &str) -> &'a Yaml {
    t[section]
        .get(name)
        .unwrap_or_else(|| panic!("{section}: no {name}"))
}

/// A resource: its Type, Condition, Properties, ...
pub(crate) fn resource<'a>(t: &'a Yaml, name: &str) -> &'a Yaml {
    section(t, "Resources", name)
}

/// A resource's Properties.
pub(crate) fn props<'a>(t: &'a Yaml, name: &str) -> &'a Yaml {
    &resource(t, name)["Properties"]
}

pub(crate) fn parameter<'a>(t: &'a Yaml, name: &str) -> &'a Yaml {
    section(t, "Parameters", name)
}

pub(crate) fn condition<'a>(t: &'a Yaml, name: &str) -> &'a Yaml {
    section(t, "Conditions", name)
}

/// The function's Properties.
pub(crate) fn function(t: &Yaml) -> &Yaml {
    props(t, "ScanRouterFunction")
}

/// The function's environment variables.
pub(crate) fn env(t: &Yaml) -> &Yaml {
    &function(t)["Environment"]["Variables"]
}

/// The argument of a short-form function: `tagged(v, "If")` of
/// `!If [c, a, b]` is `[c, a, b]`; None when `v` is something else.
pub(crate) fn tagged<'a>(v: &'a Yaml, tag: &str) -> Option<&'a Yaml> {
    match v {
        Yaml::Tagged(t) if t.tag == tag => Some(&t.value),
        _ => None,
    }
}

/// `!If [condition, then, else]`, in parts.
pub(crate) fn if_parts(v: &Yaml) -> (&str, &Yaml, &Yaml) {
    let args = tagged(v, "If")
        .and_then(Yaml::as_sequence)
        .unwrap_or_else(|| panic!("not an !If: {}", show(v)));
    assert_eq!(args.len(), 3, "{}", show(v));
    (
        args[0].as_str().expect("a condition name"),
        &args[1],
        &args[2],
    )
}

/// A value or a list of values (IAM's Action, Resource, ...).
pub(crate) fn list(v: &Yaml) -> Vec<&Yaml> {
    match v {
        Yaml::Sequence(s) => s.iter().collect(),
        v => vec![v],
    }
}

/// Every string value in `v`, tagged or not (mapping keys left out).
pub(crate) fn strings(v: &Yaml) -> Vec<&str> {
    match v {
        Yaml::String(s) => vec![s],
        Yaml::Sequence(s) => s.iter().flat_map(strings).collect(),
        Yaml::Mapping(m) => m.values().flat_map(strings).collect(),
        Yaml::Tagged(t) => strings(&t.value),
        _ => vec![],
    }
}

/// Every mapping in `v`, nested ones included.
fn mappings(v: &Yaml) -> Vec<&Mapping> {
    match v {
        Yaml::Mapping(m) => std::iter::once(m)
            .chain(m.values().flat_map(mappings))
            .collect(),
        Yaml::Sequence(s) => s.iter().flat_map(mappings).collect(),
        Yaml::Tagged(t) => mappings(&t.value),
        _ => vec![],
    }
}

/// The statements of the function's policies, each with the condition it
/// is under (`!If [condition, statement, !Ref AWS::NoValue]`).
pub(crate) fn statements(t: &Yaml) -> Vec<(Option<&str>, &Yaml)> {
    let mut out = vec![];
    for policy in function(t)["Policies"].as_sequence().expect("Policies") {
        for s in policy["Statement"].as_sequence().expect("Statement") {
            if tagged(s, "If").is_some() {
                let (condition, then, otherwise) = if_parts(s);
                assert_eq!(*otherwise, yaml("!Ref AWS::NoValue"), "{}", show(s));
                out.push((Some(condition), then));
            } else {
                out.push((None, s));
            }
        }
    }
    out
}

/// The function's HttpApi events: (method, path, Properties).
pub(crate) fn http_events(t: &Yaml) -> Vec<(String, String, &Yaml)> {
    function(t)["Events"]
        .as_mapping()
        .expect("Events")
        .values()
        .filter(|e| e["Type"] == "HttpApi")
        .map(|e| {
            let p = &e["Properties"];
            let s = |k: &str| p[k].as_str().unwrap_or_else(|| panic!("{k}")).to_string();
            (s("Method"), s("Path"), p)
        })
        .collect()
}

/// The condition keys (`aws:SourceArn`, ...) of the statements in `v`.
fn condition_keys(v: &Yaml) -> BTreeSet<&str> {
    mappings(v)
        .into_iter()
        .filter_map(|m| m.get("Condition"))
        .flat_map(|c| c.as_mapping().expect("Condition").values())
        .flat_map(|op| op.as_mapping().expect("a condition operator").keys())
        .filter_map(Yaml::as_str)
        .collect()
}

fn alarm_actions() -> Yaml {
    yaml("!If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]")
}

// ---- the tests ---------------------------------------------------------------

#[test]
fn http_routes_match() {
    let t = template();
    let mut in_template: BTreeSet<(String, String)> =
        http_events(t).into_iter().map(|(m, p, _)| (m, p)).collect();
    in_template.extend(switched_routes(t).into_iter().map(|(m, p, _, _)| (m, p)));
    let in_code: BTreeSet<(String, String)> = HTTP_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(in_template, in_code);
}

#[test]
fn iam_actions_are_exactly_those_called() {
    let t = template();
    let action = Regex::new(r"^inspector2?:[A-Za-z*]+$").unwrap();
    let granted: BTreeSet<&str> = strings(t)
        .into_iter()
        .filter(|s| action.is_match(s))
        .collect();
    let called: BTreeSet<&str> = Operation::iam_actions().into_iter().collect();
    assert_eq!(granted, called);
    assert!(
        !strings(t)
            .iter()
            .any(|s| s.contains("inspector2:*") || s.contains("inspector:*")),
        "no wildcards"
    );
}

/// A list built of `!Split [",", !Join ["", [...]]]` whose parts are
/// strings or `!If [condition, string, string]`, under `is_on`.
fn evaluate_list(v: &Yaml, is_on: &dyn Fn(&str) -> bool) -> Vec<String> {
    let split = tagged(v, "Split")
        .and_then(Yaml::as_sequence)
        .expect("a !Split");
    assert_eq!(split[0].as_str(), Some(","));
    let join = tagged(&split[1], "Join")
        .and_then(Yaml::as_sequence)
        .expect("a !Join");
    assert_eq!(join[0].as_str(), Some(""));
    let text: String = join[1]
        .as_sequence()
        .expect("the parts")
        .iter()
        .map(|part| match part.as_str() {
            Some(s) => s.to_string(),
            None => {
                let (c, then, otherwise) = if_parts(part);
                let chosen = if is_on(c) { then } else { otherwise };
                chosen.as_str().expect("a string").to_string()
            }
        })
        .collect();
    text.split(',').map(str::to_string).collect()
}

#[test]
fn command_rule_lists_the_event_operations_and_disassociation_is_opt_in() {
    let t = template();
    let detail_type = &props(t, "CommandRule")["EventPattern"]["detail-type"];
    let listed: BTreeSet<&str> = strings(detail_type)
        .into_iter()
        .map(|w| w.trim_start_matches(','))
        .filter(|w| Operation::from_name(w).is_some())
        .collect();
    let handled: BTreeSet<&str> = event_operations().map(|o| o.name()).collect();
    assert_eq!(listed, handled);
    // Each entry under its switch: association under EnableAssociation,
    // disassociation only under the opt-in (which requires
    // EnableDisassociation), Classic runs only under EnableClassic.
    let switches = [
        (
            "AssociationEnabled",
            "BatchAssociateCodeSecurityScanConfiguration",
        ),
        (
            "DisassociationCommandsEnabled",
            "BatchDisassociateCodeSecurityScanConfiguration",
        ),
        ("ClassicEnabled", "StartAssessmentRun"),
    ];
    for on in 0..(1 << switches.len()) {
        let is_on = |c: &str| {
            let i = switches.iter().position(|(k, _)| *k == c);
            i.map(|i| on & (1 << i) != 0)
                .unwrap_or_else(|| panic!("an unexpected condition {c}"))
        };
        let list = evaluate_list(detail_type, &is_on);
        assert!(
            list.contains(&"StartCodeSecurityScan".to_string()),
            "{list:?}"
        );
        for (i, (_, op)) in switches.iter().enumerate() {
            assert_eq!(
                list.contains(&op.to_string()),
                on & (1 << i) != 0,
                "{list:?}"
            );
        }
        assert_eq!(
            list.len(),
            1 + (on as u32).count_ones() as usize,
            "{list:?}"
        );
    }
    let opt_in = tagged(condition(t, "DisassociationCommandsEnabled"), "And").expect("an !And");
    assert_eq!(opt_in[0], yaml("!Condition DisassociationEnabled"));
    assert_eq!(
        parameter(t, "EnableDisassociationCommands")["Default"].as_str(),
        Some("false")
    );
}

#[test]
fn command_and_push_rules_listen_on_the_dedicated_bus_and_match_the_account() {
    let t = template();
    assert_eq!(resource(t, "CommandBus")["Type"], "AWS::Events::EventBus");
    assert_eq!(
        resource(t, "CommandBusPolicy")["Type"],
        "AWS::Events::EventBusPolicy"
    );
    let policy = &props(t, "CommandBusPolicy")["Statement"];
    assert_eq!(policy["Principal"]["AWS"], yaml("!Ref TrustedAccounts"));
    assert_eq!(policy["Action"], "events:PutEvents");
    for name in ["CommandRule", "PushRule"] {
        let rule = props(t, name);
        assert_eq!(
            rule["EventBusName"],
            yaml("!If [CreateEventBus, !Ref CommandBus, !Ref EventBusName]"),
            "{name}"
        );
        let pattern = &rule["EventPattern"];
        let patterns = match pattern.get("$or") {
            Some(any) => list(any),
            None => vec![pattern],
        };
        for p in patterns {
            assert!(p.get("source").is_some(), "{name}: {}", show(p));
            let (trusted, _, _) = if_parts(&p["account"]);
            assert_eq!(
                trusted, "HasTrustedAccounts",
                "{name}: every pattern matches account"
            );
        }
    }
    for m in mappings(t) {
        assert_ne!(
            m.get("EventBusName").and_then(Yaml::as_str),
            Some("default")
        );
    }
    for (name, p) in t["Parameters"].as_mapping().unwrap() {
        assert_ne!(p["Default"], "default", "{name:?}");
    }
}

#[test]
fn every_route_needs_its_scope_in_jwt_mode() {
    let t = template();
    let events = http_events(t);
    let switched = switched_routes(t);
    for (method, path, scope) in ROUTE_SCOPES {
        if let Some((_, _, _, props)) = switched
            .iter()
            .find(|(m, p, _, _)| m == method && p == path)
        {
            assert_eq!(
                props["AuthorizationType"],
                yaml("!If [UseJwt, JWT, AWS_IAM]")
            );
            assert_eq!(
                props["AuthorizationScopes"],
                yaml(&format!(
                    "!If [UseJwt, [!Sub \"${{JwtScopePrefix}}{scope}\"], !Ref AWS::NoValue]"
                )),
                "{method} {path}"
            );
            continue;
        }
        let (_, _, props) = events
            .iter()
            .find(|(m, p, _)| m == method && p == path)
            .unwrap_or_else(|| panic!("{method} {path}"));
        assert_eq!(
            props["Auth"]["AuthorizationScopes"],
            yaml(&format!(
                "!If [UseJwt, [!Sub \"${{JwtScopePrefix}}{scope}\"], !Ref AWS::NoValue]"
            )),
            "{method} {path}"
        );
    }
}

#[test]
fn the_function_rechecks_what_the_template_routes() {
    let t = template();
    let env = env(t);
    assert!(env.get("TRUSTED_ACCOUNTS").is_some());
    for (var, value) in [
        ("COMMAND_SOURCES", "!Ref CommandSource"),
        ("PUSH_SOURCES", "!Sub \"${GitHubSource},${GitLabSource}\""),
        (
            "ALLOWED_SCAN_CONFIGURATION_ARNS",
            "!Ref AllowedScanConfigurationArns",
        ),
        (
            "JWT_SCOPE_PREFIX",
            "!If [UseJwt, !Ref JwtScopePrefix, \"\"]",
        ),
    ] {
        assert_eq!(env[var], yaml(value), "{var}");
    }
    // Resource policies name the source as well as the account.
    let both = BTreeSet::from(["aws:SourceAccount", "aws:SourceArn"]);
    let queue = condition_keys(props(t, "EventsDeadLetterQueuePolicy"));
    assert!(queue.is_superset(&both), "{queue:?}");
    let role = condition_keys(&props(t, "SchedulerRole")["AssumeRolePolicyDocument"]);
    assert!(role.is_superset(&both), "{role:?}");
}

#[test]
fn alarms_watch_failures_throttles_and_disassociations() {
    let t = template();
    for (alarm, metric) in [
        (
            "FailedInvocationsAlarm",
            "ApproximateNumberOfMessagesVisible",
        ),
        (
            "EventsDeadLetterAlarm",
            "ApproximateNumberOfMessagesVisible",
        ),
        ("FunctionErrorsAlarm", "Errors"),
        ("FunctionThrottlesAlarm", "Throttles"),
        (
            "DisassociationsAlarm",
            inspector_scan_router::domain::Direction::Disassociate
                .metrics()
                .0,
        ),
    ] {
        assert_eq!(resource(t, alarm)["Type"], "AWS::CloudWatch::Alarm");
        let p = props(t, alarm);
        assert_eq!(p["MetricName"], metric, "{alarm}");
        assert_eq!(p["AlarmActions"], alarm_actions(), "{alarm}");
    }
    assert_eq!(
        props(t, "DisassociationsAlarm")["Threshold"],
        yaml("!Ref DisassociationsAlarmThreshold")
    );
    // The access log says who called: the IAM caller or the JWT's subject.
    let format = props(t, "ScanRouterHttpApi")["AccessLogSettings"]["Format"]
        .as_str()
        .expect("Format");
    let format: serde_json::Value = serde_json::from_str(format).expect("JSON access log");
    let fields: Vec<&str> = format
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(fields.contains(&"$context.identity.userArn"), "{format}");
    assert!(
        fields.contains(&"$context.authorizer.claims.sub"),
        "{format}"
    );
}

#[test]
fn push_rule_matches_what_the_decoder_recognises() {
    let t = template();
    let any = list(&props(t, "PushRule")["EventPattern"]["$or"]);
    let from = |source: &str| {
        *any.iter()
            .find(|p| p["source"] == yaml(&format!("[!Ref {source}]")))
            .unwrap_or_else(|| panic!("a pattern for {source}"))
    };
    assert_eq!(
        from("GitHubSource")["detail-type"],
        yaml("[push]"),
        "GitHub pushes: detail-type push"
    );
    assert_eq!(
        from("GitLabSource")["detail"]["object_kind"],
        yaml("[push, tag_push]"),
        "GitLab pushes and tag pushes"
    );
}

#[test]
fn work_queue_is_wired_as_the_code_expects() {
    let t = template();
    let queue = props(t, "WorkQueue");
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    assert_eq!(queue["MessageRetentionPeriod"], 1209600, "14 days");
    assert_eq!(
        queue["RedrivePolicy"],
        yaml(
            "{deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn, \
              maxReceiveCount: !Ref WorkQueueMaxReceiveCount}"
        )
    );
    let timeout = t["Globals"]["Function"]["Timeout"]
        .as_u64()
        .expect("Timeout");
    assert!(
        queue["VisibilityTimeout"].as_u64().unwrap() >= 6 * timeout,
        "visibility timeout at least six times the function's timeout"
    );
    let dlq = props(t, "WorkDeadLetterQueue");
    assert_eq!(dlq["SqsManagedSseEnabled"], true);
    assert_eq!(dlq["MessageRetentionPeriod"], 1209600);

    assert_eq!(env(t)["WORK_QUEUE_URL"], yaml("!Ref WorkQueue"));
    let mapping = &function(t)["Events"]["WorkQueue"];
    assert_eq!(mapping["Type"], "SQS");
    assert_eq!(
        mapping["Properties"],
        yaml(
            "Queue: !GetAtt WorkQueue.Arn\n\
             BatchSize: !Ref WorkQueueBatchSize\n\
             FunctionResponseTypes: [ReportBatchItemFailures]\n\
             ScalingConfig:\n  MaximumConcurrency: !Ref WorkQueueMaximumConcurrency\n"
        )
    );

    // sqs:SendMessage (what SendMessageBatch needs) on the queues the
    // function sends to, ChangeMessageVisibility on the watch queue, and
    // nothing else of SQS.
    let mut granted = BTreeSet::new();
    for (_, s) in statements(t) {
        for action in list(&s["Action"]) {
            if action.as_str().unwrap().starts_with("sqs:") {
                for r in list(&s["Resource"]) {
                    granted.insert((action.as_str().unwrap().to_string(), show(r)));
                }
            }
        }
    }
    let send = inspector_scan_router::queue::SEND_ACTION.to_string();
    assert_eq!(
        granted,
        BTreeSet::from([
            (
                send.clone(),
                "!GetAtt FailedInvocationsQueue.Arn".to_string()
            ),
            (send.clone(), "!GetAtt WorkQueue.Arn".to_string()),
            (send.clone(), "!GetAtt WorkDeadLetterQueue.Arn".to_string()),
            // Sweeps by selector: the sweep, its pages, their work.
            (send.clone(), "!GetAtt SweepQueue.Arn".to_string()),
            // The scan watches: sent, and kept for their next look.
            (send, "!GetAtt ScanWatchQueue.Arn".to_string()),
            (
                "sqs:ChangeMessageVisibility".to_string(),
                "!GetAtt ScanWatchQueue.Arn".to_string()
            ),
        ])
    );
    assert!(!strings(t).contains(&"sqs:*"), "no wildcards");
}

/// The sweep's settings reach the function, its dashboard shows the
/// sweep's view, and the work dead-letter queue has an alarm through the
/// alarm topic.
#[test]
fn sweeps_are_paced_watched_and_alarmed() {
    let t = template();
    for (var, value) in [
        ("WORK_DEAD_LETTER_QUEUE_URL", "!Ref WorkDeadLetterQueue"),
        (
            "INSPECTOR_MAX_CALLS_PER_SECOND",
            "!Ref InspectorMaxCallsPerSecond",
        ),
        ("THROTTLED_RETRY_HOURS", "!Ref ThrottledRetryHours"),
        ("INLINE_MAX_ITEMS", "!Ref InlineMaxItems"),
    ] {
        assert_eq!(env(t)[var], yaml(value), "{var}");
    }
    assert_eq!(
        resource(t, "WorkDeadLetterAlarm")["Type"],
        "AWS::CloudWatch::Alarm"
    );
    let alarm = props(t, "WorkDeadLetterAlarm");
    assert_eq!(
        alarm["Dimensions"],
        yaml("[{Name: QueueName, Value: !GetAtt WorkDeadLetterQueue.QueueName}]")
    );
    assert_eq!(alarm["MetricName"], "ApproximateNumberOfMessagesVisible");
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanThreshold");
    assert_eq!(alarm["AlarmActions"], alarm_actions());
    assert_eq!(
        resource(t, "SweepDashboard")["Type"],
        "AWS::CloudWatch::Dashboard"
    );
    // The widgets' JSON, once the Sub's variables are filled in, parses.
    let sub = tagged(&props(t, "SweepDashboard")["DashboardBody"], "Sub")
        .and_then(Yaml::as_sequence)
        .expect("!Sub [body, variables]");
    assert_eq!(
        sub[1],
        yaml(
            "{Work: !GetAtt WorkQueue.QueueName, Dead: !GetAtt WorkDeadLetterQueue.QueueName, \
              Sweep: !GetAtt SweepQueue.QueueName, SweepDead: !GetAtt SweepDeadLetterQueue.QueueName, \
              Logs: !Ref FunctionLogGroup, Fn: !Ref ScanRouterFunction}"
        )
    );
    let body = sub[0]
        .as_str()
        .expect("the body")
        .replace("${AWS::Region}", "us-east-1")
        .replace("${Work}", "work")
        .replace("${Dead}", "dead")
        .replace("${SweepDead}", "sweep-dead")
        .replace("${Sweep}", "sweep")
        .replace("${Logs}", "/aws/lambda/fn")
        .replace("${Fn}", "fn");
    assert!(
        !body.contains("${"),
        "every variable of the Sub is given: {body}"
    );
    let widgets: serde_json::Value = serde_json::from_str(&body).expect("dashboard JSON");
    let text = widgets.to_string();
    for metric in [
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesNotVisible",
        inspector_scan_router::domain::Direction::Disassociate
            .metrics()
            .0,
        telemetry::SCANS_STARTED,
        telemetry::CALLS_THROTTLED,
        telemetry::TIME_PACED,
        telemetry::SWEEP_PROJECTS_SELECTED,
        telemetry::SWEEP_PAGES_READ,
        "\"sweep-dead\"",
        "\"Errors\"",
        "\"Duration\"",
    ] {
        assert!(text.contains(metric), "the dashboard shows {metric}");
    }
    assert!(
        text.contains("\"dead\""),
        "and the dead-letter queue's depth"
    );
}

#[test]
fn only_the_webhook_routes_lack_an_authorizer() {
    let t = template();
    let events = http_events(t);
    let switched = switched_routes(t);
    assert_eq!(
        events.len() + switched.len(),
        HTTP_ROUTES.len(),
        "every route, once"
    );
    for (m, p, _, props) in &switched {
        assert_eq!(
            props["AuthorizationType"],
            yaml("!If [UseJwt, JWT, AWS_IAM]"),
            "{m} {p}: a switched route is never open"
        );
    }
    // A route names an authorizer only to have none; the others keep the API's.
    let open: BTreeSet<(String, String)> = events
        .iter()
        .filter(|(_, _, p)| p["Auth"].get("Authorizer").is_some())
        .map(|(m, p, props)| {
            assert_eq!(
                props["Auth"],
                yaml("Authorizer: NONE"),
                "{m} {p}: the only authorizer override is NONE"
            );
            (m.clone(), p.clone())
        })
        .collect();
    let webhooks: BTreeSet<(String, String)> = WEBHOOK_ROUTES
        .iter()
        .map(|(p, _)| ("POST".to_string(), p.to_string()))
        .collect();
    assert_eq!(open, webhooks);
    // The other routes inherit the API's authorizer, which is always set.
    assert_eq!(
        props(t, "ScanRouterHttpApi")["Auth"]["DefaultAuthorizer"],
        yaml("!If [UseJwt, JwtAuthorizer, AWS_IAM]")
    );
    let own = yaml(
        "ThrottlingBurstLimit: !Ref WebhookThrottlingBurstLimit\n\
         ThrottlingRateLimit: !Ref WebhookThrottlingRateLimit\n",
    );
    for (m, p, props) in &events {
        assert_eq!(
            props["RouteSettings"] == own,
            webhooks.contains(&(m.clone(), p.clone())),
            "{m} {p}: webhook routes have their own throttling"
        );
    }
}

#[test]
fn the_function_reads_the_webhook_secret_and_no_other() {
    let t = template();
    let action = Regex::new(r"secretsmanager:\w+").unwrap();
    let actions: Vec<&str> = strings(t)
        .into_iter()
        .flat_map(|s| action.find_iter(s).map(|m| m.as_str()))
        .collect();
    assert!(
        actions.iter().all(|a| *a == GET_SECRET_VALUE),
        "one secretsmanager action: {actions:?}"
    );
    // Unconditionally the webhook secret; the report secrets only when
    // reports go there (reports_read_their_own_secrets_only).
    let grants: Vec<&Yaml> = statements(t)
        .into_iter()
        .filter(|(condition, _)| condition.is_none())
        .map(|(_, s)| s)
        .filter(|s| s["Action"] == GET_SECRET_VALUE)
        .collect();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["Resource"], yaml("!Ref WebhookSecret"));
    assert_eq!(env(t)["WEBHOOK_SECRET_ARN"], yaml("!Ref WebhookSecret"));
    assert_eq!(
        resource(t, "WebhookSecret")["Type"],
        "AWS::SecretsManager::Secret"
    );
    assert!(section(t, "Outputs", "WebhookSecretArn").is_mapping());
    let urls: Vec<&str> = t["Outputs"]
        .as_mapping()
        .unwrap()
        .values()
        .filter_map(|o| tagged(&o["Value"], "Sub"))
        .filter_map(Yaml::as_str)
        .collect();
    for (path, provider) in WEBHOOK_ROUTES {
        assert!(
            urls.iter().any(|u| u.ends_with(&format!("/prod{path}"))),
            "{} webhook URL output",
            provider.title()
        );
    }
}

#[test]
fn reports_read_their_own_secrets_only_when_on() {
    let t = template();
    let grants: Vec<(Option<&str>, &Yaml)> = statements(t)
        .into_iter()
        .filter(|(condition, s)| condition.is_some() && s["Action"] == GET_SECRET_VALUE)
        .collect();
    let expected = [
        (
            "ReportsToGitHub",
            "!If [CreateGitHubAppSecret, !Ref GitHubAppSecret, !Ref GitHubAppSecretArn]",
        ),
        (
            "ReportsToGitLab",
            "!If [CreateGitLabTokenSecret, !Ref GitLabTokenSecret, !Ref GitLabTokenSecretArn]",
        ),
    ];
    assert_eq!(grants.len(), expected.len());
    for ((condition, grant), (want, resource)) in grants.into_iter().zip(expected) {
        assert_eq!(condition, Some(want));
        assert_eq!(grant["Resource"], yaml(resource));
        assert_eq!(grant["Effect"], "Allow");
    }
    let e = env(t);
    assert_eq!(e["REPORT_TO"], yaml("!Ref ReportTo"));
    assert_eq!(e["FINDINGS_GATE"], yaml("!Ref FindingsGate"));
    assert_eq!(e["CHECK_NAME"], yaml("!Ref CheckName"));
    assert_eq!(e["GITHUB_API_URL"], yaml("!Ref GitHubApiUrl"));
    for (secret, condition) in [
        ("GitHubAppSecret", "CreateGitHubAppSecret"),
        ("GitLabTokenSecret", "CreateGitLabTokenSecret"),
    ] {
        assert_eq!(resource(t, secret)["Condition"], condition);
    }
    // The gate's and the name's defaults are the function's.
    let d = inspector_scan_router::config::ReportSettings::default();
    assert_eq!(
        parameter(t, "FindingsGate")["Default"],
        d.gate.describe().as_str()
    );
    assert_eq!(parameter(t, "CheckName")["Default"], d.check_name.as_str());
    assert_eq!(
        parameter(t, "GitHubApiUrl")["Default"],
        d.github_api_url.as_str()
    );
    assert_eq!(parameter(t, "ReportTo")["Default"], "off");
    // REPORT_TO=gitlab without GITLAB_API_URL fails the cold start: the
    // stack refuses it first.
    let rule = &t["Rules"]["GitLabReportsNeedTheirHost"];
    assert_eq!(
        rule["Assertions"][0]["Assert"],
        yaml(r#"!Not [!Equals [!Ref GitLabApiUrl, ""]]"#)
    );
}

/// Whether `principal` may `sqs:SendMessage` to the queue under `policy`
/// (a queue policy's document), evaluated as IAM does for the statements
/// these policies use: an explicit Deny wins, then an Allow for the
/// principal (the caller's own identity policy is assumed to allow it).
/// `resolve` gives the value of `!GetAtt` / `!Ref`; `redrive_role` decides
/// the `HasRedriveRole` condition.
fn may_send(policy: &Yaml, principal: &str, redrive_role: Option<&str>) -> bool {
    let resolve = |v: &Yaml| -> Vec<String> {
        let one = |v: &Yaml| match show(v).as_str() {
            "!GetAtt ScanRouterFunctionRole.Arn" => {
                "arn:aws:iam::123456789012:role/function".to_string()
            }
            "!Ref RedriveRoleArn" => redrive_role.unwrap_or("").to_string(),
            other => panic!("a value this evaluator does not know: {other}"),
        };
        let chosen = match tagged(v, "If") {
            Some(_) => {
                let (c, then, otherwise) = if_parts(v);
                assert_eq!(c, "HasRedriveRole");
                if redrive_role.is_some() {
                    then
                } else {
                    otherwise
                }
            }
            None => v,
        };
        list(chosen).into_iter().map(one).collect()
    };
    let statements = policy["Statement"].as_sequence().expect("Statement");
    let sends = |s: &Yaml| list(&s["Action"]).contains(&&Yaml::from("sqs:SendMessage"));
    let denied = statements
        .iter()
        .filter(|s| s["Effect"] == "Deny" && sends(s))
        .any(|s| {
            assert_eq!(s["Principal"], "*");
            let condition = s["Condition"]
                .as_mapping()
                .expect("a Deny with a condition");
            assert_eq!(condition.len(), 1, "{}", show(&s["Condition"]));
            let not_equals = &s["Condition"]["ArnNotEquals"]["aws:PrincipalArn"];
            !resolve(not_equals).iter().any(|a| a == principal)
        });
    let allowed = statements
        .iter()
        .filter(|s| s["Effect"] == "Allow" && sends(s))
        .any(|s| {
            resolve(&s["Principal"]["AWS"])
                .iter()
                .any(|a| a == principal)
        });
    // The account's own principals need no Allow in the queue policy: their
    // identity policy may grant sqs:SendMessage; only the Deny stops them.
    !denied && (allowed || principal.starts_with("arn:aws:iam::123456789012:"))
}

/// Every queue that drives the function (the work queue, the watch queue)
/// has a policy: only the function's role sends to it, and the redrive role
/// (`RedriveRoleArn`, when set) may move its dead letters back; anyone else
/// in the account, whatever its identity policy, is denied.
#[test]
fn only_the_functions_role_sends_to_its_queues_and_the_redrive_role_redrives() {
    let t = template();
    let function_role = "arn:aws:iam::123456789012:role/function";
    let redrive = "arn:aws:iam::123456789012:role/operator-redrive";
    let someone = "arn:aws:iam::123456789012:role/anyone-with-sqs-send";
    for (queue, policy) in [
        ("WorkQueue", "WorkQueuePolicy"),
        ("ScanWatchQueue", "ScanWatchQueuePolicy"),
        ("SweepQueue", "SweepQueuePolicy"),
    ] {
        assert_eq!(resource(t, policy)["Type"], "AWS::SQS::QueuePolicy");
        let p = props(t, policy);
        assert_eq!(p["Queues"], yaml(&format!("[!Ref {queue}]")), "{policy}");
        for s in p["PolicyDocument"]["Statement"].as_sequence().unwrap() {
            assert_eq!(
                s["Resource"],
                yaml(&format!("!GetAtt {queue}.Arn")),
                "{policy}"
            );
        }
        let doc = &p["PolicyDocument"];
        assert!(
            may_send(doc, function_role, None),
            "{policy}: the function sends"
        );
        assert!(!may_send(doc, someone, None), "{policy}: no one else");
        assert!(
            !may_send(doc, redrive, None),
            "{policy}: no redrive role unless named"
        );
        assert!(
            may_send(doc, redrive, Some(redrive)),
            "{policy}: the named redrive role redrives"
        );
        assert!(may_send(doc, function_role, Some(redrive)), "{policy}");
        assert!(
            !may_send(doc, someone, Some(redrive)),
            "{policy}: still no one else"
        );
    }
    assert_eq!(parameter(t, "RedriveRoleArn")["Default"], "");
    // Batches are admitted by the ARNs the function derives from the URLs.
    assert_eq!(env(t)["WORK_QUEUE_URL"], yaml("!Ref WorkQueue"));
    assert_eq!(env(t)["SCAN_WATCH_QUEUE_URL"], yaml("!Ref ScanWatchQueue"));
    assert_eq!(env(t)["SWEEP_QUEUE_URL"], yaml("!Ref SweepQueue"));
}

/// Disassociation is off unless asked for, and then needs a scope: a
/// CloudFormation rule refuses EnableDisassociation=true with an empty
/// AllowedScanConfigurationArns.
#[test]
fn disassociation_is_off_by_default_and_needs_an_allow_list() {
    let t = template();
    assert_eq!(parameter(t, "EnableDisassociation")["Default"], "false");
    let rule = section(t, "Rules", "DisassociationNeedsAScope");
    assert_eq!(
        rule["RuleCondition"],
        yaml("!Equals [!Ref EnableDisassociation, \"true\"]")
    );
    let assertions = rule["Assertions"].as_sequence().expect("Assertions");
    assert_eq!(assertions.len(), 1);
    assert_eq!(
        assertions[0]["Assert"],
        yaml("!Not [!Equals [!Ref AllowedScanConfigurationArns, \"\"]]")
    );
}

#[test]
fn switches_take_away_permission_rule_and_schedule() {
    let t = template();
    use inspector_scan_router::domain::operation::SWITCHES;
    use inspector_scan_router::domain::{Direction, Operation};
    // Every switch the function reads: a parameter off by default, a
    // condition named after it, and the setting wired to it.
    let condition_of =
        |parameter: &str| format!("{}Enabled", parameter.trim_start_matches("Enable"));
    for s in SWITCHES {
        assert_eq!(
            parameter(t, s.parameter)["Default"].as_str(),
            Some("false"),
            "{}",
            s.parameter
        );
        let wired = &env(t)[s.setting];
        let direct = yaml(&format!("!Ref {}", s.parameter));
        let under = yaml(&format!(
            "!If [{}, \"true\", \"false\"]",
            condition_of(s.parameter)
        ));
        assert!(
            *wired == direct || *wired == under,
            "{}: {}",
            s.setting,
            show(wired)
        );
        let _exists = condition(t, &condition_of(s.parameter));
    }
    assert_eq!(env(t)["HTTP_AUTH"], yaml("!Ref HttpAuth"));
    // Each switched operation's permission only under its condition, granted once.
    let switched: Vec<(Operation, String)> = Direction::ALL
        .map(|d| (d.operation(), condition_of(d.switch().parameter)))
        .into_iter()
        .chain([(Operation::StartAssessmentRun, "ClassicEnabled".to_string())])
        .collect();
    for (op, condition) in switched {
        let action = op.iam_action();
        let under: Vec<Option<&str>> = statements(t)
            .into_iter()
            .filter(|(_, s)| list(&s["Action"]).contains(&&Yaml::from(action)))
            .map(|(c, _)| c)
            .collect();
        assert_eq!(
            under,
            [Some(condition.as_str())],
            "{action} once, under {condition}"
        );
    }
    // The Classic schedule only with Classic on.
    let schedule = tagged(condition(t, "AssessmentScheduleEnabled"), "And").expect("an !And");
    assert_eq!(schedule[0], yaml("!Condition ClassicEnabled"));
    for r in ["AssessmentScheduleRule", "AssessmentSchedulePermission"] {
        assert_eq!(
            resource(t, r)["Condition"],
            "AssessmentScheduleEnabled",
            "{r}"
        );
    }
}

#[test]
fn the_bus_admits_only_the_named_sources() {
    let t = template();
    let statement = &props(t, "CommandBusPolicy")["Statement"];
    assert_eq!(
        statement["Condition"],
        yaml(
            "StringEquals:\n  events:source: [!Ref CommandSource, !Ref GitHubSource, !Ref GitLabSource]\n"
        )
    );
}

/// Scan results: the watch queue (FIFO, encrypted, its own dead-letter
/// queue and alarm) drives the function through a second event source
/// mapping and is admitted by its ARN; the role may send to it and keep
/// watches, put events on the function's own bus only, and read findings;
/// the optional findings rule matches results events numerically; the
/// dashboard shows scans started, finished, failed and timed out.
#[test]
fn scan_results_are_wired() {
    use inspector_scan_router::telemetry::{
        SCANS_FINISHED, SCANS_STARTED, WATCH_AGE, WATCHES_TIMED_OUT,
    };
    let t = template();
    let queue = props(t, "ScanWatchQueue");
    assert_eq!(queue["FifoQueue"], true);
    assert_eq!(queue["SqsManagedSseEnabled"], true);
    assert_eq!(
        queue["DelaySeconds"],
        yaml("!Ref ScanWatchFirstDelaySeconds")
    );
    assert_eq!(
        queue["RedrivePolicy"],
        yaml("{deadLetterTargetArn: !GetAtt ScanWatchDeadLetterQueue.Arn, maxReceiveCount: 100}")
    );
    let dlq = props(t, "ScanWatchDeadLetterQueue");
    assert_eq!(
        (&dlq["FifoQueue"], &dlq["SqsManagedSseEnabled"]),
        (&yaml("true"), &yaml("true"))
    );
    let alarm = props(t, "ScanWatchDeadLetterAlarm");
    assert_eq!(
        alarm["Dimensions"],
        yaml("[{Name: QueueName, Value: !GetAtt ScanWatchDeadLetterQueue.QueueName}]")
    );
    assert_eq!(alarm["AlarmActions"], alarm_actions());

    for (var, value) in [
        ("SCAN_RESULTS", "!Ref ScanResults"),
        ("SCAN_WATCH_QUEUE_URL", "!Ref ScanWatchQueue"),
        (
            "SCAN_WATCH_FIRST_DELAY_SECONDS",
            "!Ref ScanWatchFirstDelaySeconds",
        ),
        ("SCAN_WATCH_MAX_HOURS", "!Ref ScanWatchMaxHours"),
        (
            "RESULTS_EVENT_BUS",
            "!If [CreateEventBus, !Ref CommandBus, !Ref EventBusName]",
        ),
        ("RESULTS_EVENT_SOURCE", "!Ref ResultsEventSource"),
    ] {
        assert_eq!(env(t)[var], yaml(value), "{var}");
    }
    let mapping = &function(t)["Events"]["ScanWatchQueue"];
    assert_eq!(mapping["Type"], "SQS");
    assert_eq!(
        mapping["Properties"]["Queue"],
        yaml("!GetAtt ScanWatchQueue.Arn")
    );
    assert_eq!(
        mapping["Properties"]["FunctionResponseTypes"],
        yaml("[ReportBatchItemFailures]")
    );

    // Watches sent and kept; results put on the function's own bus only.
    let grant = |sid: &str| {
        statements(t)
            .into_iter()
            .map(|(_, s)| s)
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}"))
    };
    let watch = grant("ScanWatchQueue");
    assert_eq!(
        watch["Action"],
        yaml(&format!(
            "[{}, {}]",
            inspector_scan_router::queue::SEND_ACTION,
            inspector_scan_router::queue::watch::HOLD_ACTION
        ))
    );
    assert_eq!(watch["Resource"], yaml("!GetAtt ScanWatchQueue.Arn"));
    let put = grant("ResultsEvents");
    assert_eq!(
        put["Action"],
        inspector_scan_router::results::PUT_EVENTS_ACTION
    );
    // With the function's results source and detail type only: the role
    // cannot put a command or a push on the bus.
    assert_eq!(
        put["Condition"],
        yaml(&format!(
            "StringEquals: {{events:source: !Ref ResultsEventSource, events:detail-type: {}}}",
            inspector_scan_router::domain::completion::DETAIL_TYPE
        ))
    );
    assert_eq!(
        env(t)["WEBHOOK_PREVIOUS_SECRET_HOURS"],
        yaml("!Ref WebhookPreviousSecretHours")
    );
    let (bus, created, named) = if_parts(&put["Resource"]);
    assert_eq!(bus, "CreateEventBus");
    assert_eq!(*created, yaml("!GetAtt CommandBus.Arn"));
    assert!(
        show(named).ends_with(":event-bus/${EventBusName}"),
        "{}",
        show(named)
    );
    let puts: Vec<_> = mappings(t)
        .into_iter()
        .filter(|m| {
            m.get("Action")
                .is_some_and(|a| strings(a).contains(&"events:PutEvents"))
        })
        .collect();
    assert_eq!(
        puts.len(),
        2,
        "the role's grant and the bus policy's for trusted accounts, no other"
    );

    // The findings rule: results events with findings at or above the
    // chosen severity, matched numerically, under its switch.
    assert_eq!(
        resource(t, "FindingsNotifyRule")["Condition"],
        "NotifyOnFindingsEnabled"
    );
    let (_, critical_only, high_too) = if_parts(&props(t, "FindingsNotifyRule")["EventPattern"]);
    let above_zero = yaml("[{numeric: ['>', 0]}]");
    for pattern in [critical_only, high_too] {
        assert_eq!(pattern["source"], yaml("[!Ref ResultsEventSource]"));
        // Only the function's own account: a trusted account on the bus
        // cannot reach the alarm topic with a results-shaped event.
        assert_eq!(pattern["account"], yaml("[!Ref AWS::AccountId]"));
        assert_eq!(
            pattern["detail-type"],
            yaml("[Code Security Scan Completed]")
        );
    }
    assert_eq!(critical_only["detail"]["findings"]["critical"], above_zero);
    assert_eq!(
        high_too["detail"]["findings"]["$or"],
        yaml("[{critical: [{numeric: ['>', 0]}]}, {high: [{numeric: ['>', 0]}]}]")
    );
    assert_eq!(
        parameter(t, "NotifyOnFindings")["AllowedValues"],
        yaml("['off', critical, high]")
    );
    // The function's own rules never match its results: the results source
    // is a parameter of its own whose default is none of theirs.
    assert_eq!(
        parameter(t, "ResultsEventSource")["Default"],
        "inspector-scan-router"
    );
    assert_eq!(
        inspector_scan_router::domain::completion::DETAIL_TYPE,
        "Code Security Scan Completed"
    );

    let dashboard = show(&props(t, "SweepDashboard")["DashboardBody"]);
    for metric in [SCANS_STARTED, SCANS_FINISHED, WATCHES_TIMED_OUT, WATCH_AGE] {
        assert!(dashboard.contains(metric), "the dashboard shows {metric}");
    }
    assert!(dashboard.contains("FAILED"));
}

/// The routes declared as API Gateway resources of their own (those behind
/// a switch): (method, path, resource, Properties).
fn switched_routes(t: &Yaml) -> Vec<(String, String, &Yaml, &Yaml)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::ApiGatewayV2::Route")
        .map(|r| {
            let key = r["Properties"]["RouteKey"].as_str().expect("RouteKey");
            let (method, path) = key.split_once(' ').expect("METHOD /path");
            (method.to_string(), path.to_string(), r, &r["Properties"])
        })
        .collect()
}

/// The disassociation and Classic routes exist only when their switch is
/// on: the route, and the permission API Gateway needs to call the function.
#[test]
fn switched_off_operations_have_no_route() {
    use inspector_scan_router::ingress::routes::{Handler, ROUTES};
    let t = template();
    let switched = switched_routes(t);
    for route in ROUTES {
        let condition = match route.handler {
            Handler::Api(Operation::ScanConfigurations(d)) => match d {
                inspector_scan_router::domain::Direction::Associate => "AssociationEnabled",
                inspector_scan_router::domain::Direction::Disassociate => "DisassociationEnabled",
            },
            Handler::Api(Operation::StartAssessmentRun) => "ClassicEnabled",
            _ => continue,
        };
        let (_, _, resource, _) = switched
            .iter()
            .find(|(m, p, _, _)| m == route.method && p == route.path)
            .unwrap_or_else(|| panic!("{} {} is a route of its own", route.method, route.path));
        assert_eq!(
            resource["Condition"], condition,
            "{} {}",
            route.method, route.path
        );
        let suffix = format!("/*/{}{}", route.method, route.path);
        let permitted = t["Resources"].as_mapping().unwrap().values().any(|r| {
            r["Type"] == "AWS::Lambda::Permission"
                && r["Condition"] == condition
                && show(&r["Properties"]["SourceArn"]).contains(&suffix)
        });
        assert!(
            permitted,
            "{} {}: its permission, under {condition}",
            route.method, route.path
        );
    }
    assert_eq!(
        switched.len(),
        3,
        "only the switched routes (association, disassociation, Classic) are declared apart"
    );
}

/// A look held up by a backlog is answered as long as the watch queue can
/// hold it: the watch's lateness allowance is the queue's retention.
#[test]
fn a_late_watch_is_answered_for_as_long_as_its_queue_keeps_it() {
    let retention = &props(template(), "ScanWatchQueue")["MessageRetentionPeriod"];
    assert_eq!(
        retention.as_i64(),
        Some(inspector_scan_router::domain::completion::LATE.as_secs() as i64)
    );
}

/// Sweeps by selector: the sweep queue is FIFO (deduplication and
/// throughput per message group), encrypted, keeps messages 14 days, and
/// dead-letters to a FIFO queue of its own after the work queue's receives,
/// with an alarm; its URL reaches the function, which alone sends to it
/// (the policy: `only_the_functions_role_sends_…`) and consumes it like the
/// work queue; the role may list a configuration's associations (a
/// selector of any operation, so under no switch).
#[test]
fn the_sweep_queue_is_wired() {
    let t = template();
    let timeout = t["Globals"]["Function"]["Timeout"].as_u64().unwrap();
    let queue = props(t, "SweepQueue");
    assert_eq!(resource(t, "SweepQueue")["Type"], "AWS::SQS::Queue");
    for (key, value) in [
        ("QueueName", "!Sub \"${AWS::StackName}-sweep.fifo\""),
        ("FifoQueue", "true"),
        ("DeduplicationScope", "messageGroup"),
        ("FifoThroughputLimit", "perMessageGroupId"),
        ("SqsManagedSseEnabled", "true"),
        ("MessageRetentionPeriod", "1209600"),
        (
            "RedrivePolicy",
            "{deadLetterTargetArn: !GetAtt SweepDeadLetterQueue.Arn, \
              maxReceiveCount: !Ref WorkQueueMaxReceiveCount}",
        ),
    ] {
        assert_eq!(queue[key], yaml(value), "SweepQueue.{key}");
    }
    assert!(
        queue.get("ContentBasedDeduplication").is_none(),
        "the function gives every message its deduplication id"
    );
    assert!(queue["VisibilityTimeout"].as_u64().unwrap() >= 6 * timeout);
    let dlq = props(t, "SweepDeadLetterQueue");
    for (key, value) in [
        ("QueueName", "!Sub \"${AWS::StackName}-sweep-dlq.fifo\""),
        ("FifoQueue", "true"),
        ("SqsManagedSseEnabled", "true"),
        ("MessageRetentionPeriod", "1209600"),
    ] {
        assert_eq!(dlq[key], yaml(value), "SweepDeadLetterQueue.{key}");
    }
    let alarm = props(t, "SweepDeadLetterAlarm");
    assert_eq!(
        alarm["Dimensions"],
        yaml("[{Name: QueueName, Value: !GetAtt SweepDeadLetterQueue.QueueName}]")
    );
    assert_eq!(alarm["AlarmActions"], alarm_actions());
    for output in ["SweepQueueUrl", "SweepDeadLetterQueueUrl"] {
        assert!(section(t, "Outputs", output).is_mapping(), "{output}");
    }

    assert_eq!(env(t)["SWEEP_QUEUE_URL"], yaml("!Ref SweepQueue"));
    let mapping = &function(t)["Events"]["SweepQueue"];
    assert_eq!(mapping["Type"], "SQS");
    assert_eq!(
        mapping["Properties"],
        yaml(
            "Queue: !GetAtt SweepQueue.Arn\n\
             BatchSize: !Ref WorkQueueBatchSize\n\
             FunctionResponseTypes: [ReportBatchItemFailures]\n\
             ScalingConfig:\n  MaximumConcurrency: !Ref WorkQueueMaximumConcurrency\n"
        ),
        "like the work queue's (a FIFO queue takes no batching window)"
    );
    let send: Vec<&Yaml> = statements(t)
        .into_iter()
        .filter(|(c, s)| {
            c.is_none()
                && s["Sid"] == "SweepQueue"
                && s["Resource"] == yaml("!GetAtt SweepQueue.Arn")
        })
        .map(|(_, s)| s)
        .collect();
    assert_eq!(send.len(), 1);
    assert_eq!(send[0]["Action"], inspector_scan_router::queue::SEND_ACTION);

    let list = Operation::ListCodeSecurityScanConfigurationAssociations.iam_action();
    let under: Vec<Option<&str>> = statements(t)
        .into_iter()
        .filter(|(_, s)| list_of(&s["Action"]).contains(&list))
        .map(|(c, _)| c)
        .collect();
    assert_eq!(under, [None], "{list}: once, under no switch");
}

fn list_of(v: &Yaml) -> Vec<&str> {
    list(v).into_iter().filter_map(Yaml::as_str).collect()
}

/// The weekly rescan: off by default (no schedule, no role), on a sweep of
/// every covered repository once a week, keyed by the schedule and the
/// tick (the same across Scheduler's retries of one tick), its failed
/// deliveries dead-lettered like the other schedules'; the bundled event
/// is its input as Scheduler delivers it.
#[test]
fn the_weekly_rescan_is_off_by_default_and_sweeps_every_covered_repository() {
    let t = template();
    let p = parameter(t, "WeeklyRescan");
    assert_eq!(p["Default"], "false");
    assert_eq!(p["AllowedValues"], yaml("['true', 'false']"));
    assert_eq!(
        *condition(t, "WeeklyRescanEnabled"),
        yaml("!Equals [!Ref WeeklyRescan, 'true']")
    );
    for r in ["WeeklyRescanSchedule", "WeeklyRescanRole"] {
        assert_eq!(resource(t, r)["Condition"], "WeeklyRescanEnabled", "{r}");
    }
    let schedule = props(t, "WeeklyRescanSchedule");
    assert_eq!(
        resource(t, "WeeklyRescanSchedule")["Type"],
        "AWS::Scheduler::Schedule"
    );
    assert_eq!(
        schedule["Name"],
        yaml("!Sub \"${AWS::StackName}-weekly-rescan\"")
    );
    let expression = schedule["ScheduleExpression"].as_str().unwrap();
    assert!(
        expression == "rate(7 days)" || expression.ends_with(" ? * SUN *)"),
        "weekly: {expression}"
    );
    let target = &schedule["Target"];
    assert_eq!(target["Arn"], yaml("!GetAtt ScanRouterFunction.Arn"));
    assert_eq!(target["RoleArn"], yaml("!GetAtt WeeklyRescanRole.Arn"));
    assert_eq!(
        target["DeadLetterConfig"],
        yaml("{Arn: !GetAtt EventsDeadLetterQueue.Arn}")
    );
    assert_eq!(
        target["RetryPolicy"],
        props(t, "ScanSchedule")["Target"]["RetryPolicy"]
    );
    let input: serde_json::Value =
        serde_json::from_str(target["Input"].as_str().expect("a JSON input")).unwrap();
    assert_eq!(
        input,
        serde_json::json!({"action": "StartCodeSecurityScan", "select": {"covered": {}},
                           "idempotencyKey": "<aws.scheduler.schedule-arn>@<aws.scheduler.scheduled-time>"})
    );
    // What Scheduler delivers for one tick: the bundled event.
    let delivered: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/events/scheduler-weekly-rescan.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let key = delivered["idempotencyKey"].as_str().unwrap();
    let (arn, time) = key.split_once('@').expect("schedule ARN @ scheduled time");
    assert!(
        arn.ends_with(":schedule/default/inspector-scan-router-weekly-rescan"),
        "{arn}"
    );
    assert!(time.ends_with('Z'), "{time}");
    let mut expected = input.clone();
    expected["idempotencyKey"] = key.into();
    assert_eq!(delivered, expected);

    // Scheduler may assume the role for this schedule only, and the role
    // may invoke the function and dead-letter, nothing else.
    let role = props(t, "WeeklyRescanRole");
    let trust = &role["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Principal"]["Service"], "scheduler.amazonaws.com");
    let source = show(&trust["Condition"]["StringEquals"]["aws:SourceArn"]);
    assert!(
        source.ends_with(":schedule/default/${AWS::StackName}-weekly-rescan"),
        "{source}"
    );
    assert_eq!(
        trust["Condition"]["StringEquals"]["aws:SourceAccount"],
        yaml("!Ref AWS::AccountId")
    );
    let granted: BTreeSet<(String, String)> = role["Policies"][0]["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| (show(&s["Action"]), show(&s["Resource"])))
        .collect();
    assert_eq!(
        granted,
        BTreeSet::from([
            (
                "lambda:InvokeFunction".to_string(),
                "!GetAtt ScanRouterFunction.Arn".to_string()
            ),
            (
                "sqs:SendMessage".to_string(),
                "!GetAtt EventsDeadLetterQueue.Arn".to_string()
            ),
        ])
    );
    // The dead-letter queue admits the stack's schedules, this one included.
    let admitted = show(props(t, "EventsDeadLetterQueuePolicy"));
    assert!(
        admitted.contains(":schedule/default/${AWS::StackName}-*"),
        "{admitted}"
    );
}
