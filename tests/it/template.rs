//! The SAM template agrees with the code: every HTTP route the router serves
//! is an API route, every command detail-type is in the rule, and the
//! function's role grants exactly the Inspector actions the code calls; only
//! the webhook routes go without an authorizer, and the one secret the
//! function reads is the webhook secret.

use inspector_scan_router::domain::Operation;
use inspector_scan_router::ingress::http::ROUTE_SCOPES;
use inspector_scan_router::ingress::webhook::WEBHOOK_ROUTES;
use inspector_scan_router::ingress::{EVENT_OPERATIONS, HTTP_ROUTES};
use inspector_scan_router::secrets::manager::GET_SECRET_VALUE;
use regex::Regex;
use std::collections::BTreeSet;

fn template() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap()
}

#[test]
fn http_routes_match() {
    let t = template();
    let re = Regex::new(r"(?m)^\s+Method: (\w+)\n\s+Path: (\S+)$").unwrap();
    let mut in_template: BTreeSet<(String, String)> = re
        .captures_iter(&t)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    in_template.extend(switched_routes(&t).into_iter().map(|(m, p, _)| (m, p)));
    let in_code: BTreeSet<(String, String)> = HTTP_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(in_template, in_code);
}

#[test]
fn iam_actions_are_exactly_those_called() {
    let t = template();
    let re = Regex::new(r"(?m)^\s+(?:- |Action: )(inspector2?:[A-Za-z*]+)\s*$").unwrap();
    let granted: BTreeSet<String> = re.captures_iter(&t).map(|c| c[1].to_string()).collect();
    let called: BTreeSet<String> = Operation::iam_actions()
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(granted, called);
    assert!(
        !t.contains("inspector2:*") && !t.contains("inspector:*"),
        "no wildcards"
    );
}

/// The block of `resource` in the template, up to its `Targets:`.
fn rule(t: &str, resource: &str) -> String {
    let start = t.find(&format!("  {resource}:")).expect(resource);
    let end = start + t[start..].find("Targets:").expect("Targets");
    t[start..end].to_string()
}

#[test]
fn command_rule_lists_the_event_operations_and_disassociation_is_opt_in() {
    let t = template();
    let rule = rule(&t, "CommandRule");
    let block = &rule[rule.find("detail-type:").unwrap()..];
    let listed: BTreeSet<&str> = block
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| Operation::from_name(w).is_some())
        .collect();
    let handled: BTreeSet<&str> = EVENT_OPERATIONS.iter().map(|o| o.name()).collect();
    assert_eq!(listed, handled);
    // Four branches: disassociation only under the opt-in (which requires
    // EnableDisassociation), Classic runs only under EnableClassic.
    let lists: Vec<&str> = block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("- [StartCodeSecurityScan"))
        .collect();
    assert_eq!(lists.len(), 4, "{block}");
    let (on, off) = block.split_at(block.find("          - !If\n            - ClassicEnabled\n            - [StartCodeSecurityScan, StartAssessmentRun]").expect("the branch without disassociation"));
    assert!(on.contains("DisassociationCommandsEnabled") && on.contains("BatchDisassociate"));
    assert!(!off.contains("BatchDisassociate"));
    for branch in [on, off] {
        let classic = &branch[branch.find("ClassicEnabled").unwrap()..];
        let mut lines = classic.lines().skip(1);
        assert!(lines.next().unwrap().contains("StartAssessmentRun"));
        assert!(!lines.next().unwrap().contains("StartAssessmentRun"));
    }
    let conditions = &t[t.find("Conditions:").unwrap()..t.find("Globals:").unwrap()];
    assert!(
        conditions.contains(
            "DisassociationCommandsEnabled: !And\n    - !Condition DisassociationEnabled"
        )
    );
    let param = &t[t.find("  EnableDisassociationCommands:").unwrap()..];
    assert!(param.lines().nth(2).unwrap().contains("Default: \"false\""));
}

#[test]
fn command_and_push_rules_listen_on_the_dedicated_bus_and_match_the_account() {
    let t = template();
    assert!(t.contains("  CommandBus:\n    Type: AWS::Events::EventBus"));
    assert!(t.contains("Type: AWS::Events::EventBusPolicy"));
    let policy = &t[t.find("  CommandBusPolicy:").unwrap()..];
    let policy = &policy[..policy.find("\n\n").unwrap()];
    assert!(policy.contains("AWS: !Ref TrustedAccounts") && policy.contains("events:PutEvents"));
    for name in ["CommandRule", "PushRule"] {
        let r = rule(&t, name);
        assert!(
            r.contains("EventBusName: !If [CreateEventBus, !Ref CommandBus, !Ref EventBusName]"),
            "{name}"
        );
        let patterns = r.matches("source: [").count();
        assert_eq!(
            r.matches("account: !If").count(),
            patterns,
            "{name}: every pattern matches account"
        );
    }
    assert!(!t.contains("EventBusName: default") && !t.contains("Default: default"));
}

#[test]
fn every_route_needs_its_scope_in_jwt_mode() {
    let t = template();
    let switched = switched_routes(&t);
    for (method, path, scope) in ROUTE_SCOPES {
        let auth = match switched.iter().find(|(m, p, _)| m == method && p == path) {
            Some((_, _, block)) => {
                assert!(
                    block.contains("AuthorizationType: !If [UseJwt, JWT, AWS_IAM]"),
                    "{method} {path}: {block}"
                );
                block.clone()
            }
            None => {
                let at = t
                    .find(&format!("Method: {method}\n            Path: {path}\n"))
                    .unwrap_or_else(|| panic!("{method} {path}"));
                t[at..at + 300].to_string()
            }
        };
        assert!(
            auth.contains(&format!("[!Sub \"${{JwtScopePrefix}}{scope}\"]")),
            "{method} {path}: {auth}"
        );
    }
}

#[test]
fn the_function_rechecks_what_the_template_routes() {
    let t = template();
    for var in [
        "TRUSTED_ACCOUNTS:",
        "COMMAND_SOURCES: !Ref CommandSource",
        "PUSH_SOURCES: !Sub \"${GitHubSource},${GitLabSource}\"",
        "ALLOWED_SCAN_CONFIGURATION_ARNS: !Ref AllowedScanConfigurationArns",
        "JWT_SCOPE_PREFIX: !If [UseJwt, !Ref JwtScopePrefix, \"\"]",
    ] {
        assert!(t.contains(var), "{var}");
    }
    // Resource policies name the source as well as the account.
    let queue = &t[t.find("  EventsDeadLetterQueuePolicy:").unwrap()..];
    let queue = &queue[..queue.find("\n\n").unwrap()];
    assert!(queue.contains("aws:SourceAccount") && queue.contains("aws:SourceArn"));
    let role = &t[t.find("  SchedulerRole:").unwrap()..];
    let role = &role[..role.find("Policies:").unwrap()];
    assert!(role.contains("aws:SourceAccount") && role.contains("aws:SourceArn"));
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
        ("DisassociationsAlarm", "DisassociationsSucceeded"),
    ] {
        let at = t
            .find(&format!("  {alarm}:\n    Type: AWS::CloudWatch::Alarm"))
            .expect(alarm);
        let block = &t[at..at + t[at..].find("\n\n").unwrap()];
        assert!(block.contains(&format!("MetricName: {metric}")), "{alarm}");
        assert!(
            block.contains("AlarmActions: !If [HasAlarmTopic"),
            "{alarm}"
        );
    }
    assert!(t.contains("Threshold: !Ref DisassociationsAlarmThreshold"));
    assert!(t.contains(&format!(
        "MetricName: {}",
        inspector_scan_router::telemetry::DISASSOCIATIONS_SUCCEEDED
    )));
    let fmt = &t[t.find("Format: '").unwrap()..];
    assert!(
        fmt.contains("$context.identity.userArn") && fmt.contains("$context.authorizer.claims.sub")
    );
}

#[test]
fn push_rule_matches_what_the_decoder_recognises() {
    let t = template();
    let start = t.find("  PushRule:").expect("PushRule");
    let rule = &t[start..start + t[start..].find("Targets:").unwrap()];
    assert!(
        rule.contains("detail-type: [push]"),
        "GitHub pushes: detail-type push"
    );
    assert!(
        rule.contains("object_kind: [push, tag_push]"),
        "GitLab pushes and tag pushes"
    );
}

/// The text of a top-level resource: from `  Name:` to the next resource.
fn resource(t: &str, name: &str) -> String {
    let start = t
        .find(&format!("\n  {name}:\n"))
        .unwrap_or_else(|| panic!("{name}"));
    let rest = &t[start + 1..];
    let end = Regex::new(r"\n  [A-Za-z]+:\n")
        .unwrap()
        .find(&rest[1..])
        .map_or(rest.len(), |m| m.start() + 1);
    rest[..end].to_string()
}

#[test]
fn work_queue_is_wired_as_the_code_expects() {
    let t = template();
    let queue = resource(&t, "WorkQueue");
    assert!(queue.contains("SqsManagedSseEnabled: true"), "{queue}");
    assert!(queue.contains("MessageRetentionPeriod: 1209600"), "14 days");
    assert!(queue.contains("deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn"));
    assert!(queue.contains("maxReceiveCount: !Ref WorkQueueMaxReceiveCount"));
    let number = |text: &str, key: &str| -> u64 {
        Regex::new(&format!(r"(?m)^\s+{key}: (\d+)$"))
            .unwrap()
            .captures(text)
            .unwrap_or_else(|| panic!("{key}"))[1]
            .parse()
            .unwrap()
    };
    let timeout = number(&t[t.find("Globals:").unwrap()..], "Timeout");
    assert!(
        number(&queue, "VisibilityTimeout") >= 6 * timeout,
        "visibility timeout at least six times the function's timeout"
    );
    let dlq = resource(&t, "WorkDeadLetterQueue");
    assert!(
        dlq.contains("SqsManagedSseEnabled: true")
            && dlq.contains("MessageRetentionPeriod: 1209600")
    );

    let function = resource(&t, "ScanRouterFunction");
    assert!(function.contains("WORK_QUEUE_URL: !Ref WorkQueue"));
    let events = &function[function.find("      Events:").unwrap()..];
    let mapping = &events[events.find("        WorkQueue:").unwrap()..];
    let mapping = &mapping[..mapping.find("        StartScan:").unwrap()];
    for line in [
        "Type: SQS",
        "Queue: !GetAtt WorkQueue.Arn",
        "BatchSize: !Ref WorkQueueBatchSize",
        "FunctionResponseTypes: [ReportBatchItemFailures]",
        "MaximumConcurrency: !Ref WorkQueueMaximumConcurrency",
    ] {
        assert!(mapping.contains(line), "{line}: {mapping}");
    }

    // sqs:SendMessage (what SendMessageBatch needs) on the two queues the
    // function sends to, and nothing else of SQS.
    let grants = Regex::new(r"Action: (sqs:\S+)\n\s+Resource: (.+)").unwrap();
    let granted: BTreeSet<(String, String)> = grants
        .captures_iter(&function)
        .map(|c| (c[1].to_string(), c[2].trim().to_string()))
        .collect();
    let send = inspector_scan_router::queue::SEND_ACTION.to_string();
    assert_eq!(
        granted,
        BTreeSet::from([
            (
                send.clone(),
                "!GetAtt FailedInvocationsQueue.Arn".to_string()
            ),
            (send.clone(), "!GetAtt WorkQueue.Arn".to_string()),
            (send, "!GetAtt WorkDeadLetterQueue.Arn".to_string()),
        ])
    );
    assert!(!t.contains("sqs:*"), "no wildcards");
}

/// The sweep's settings reach the function, its dashboard shows the
/// sweep's view, and the work dead-letter queue has an alarm through the
/// alarm topic.
#[test]
fn sweeps_are_paced_watched_and_alarmed() {
    let t = template();
    let function = resource(&t, "ScanRouterFunction");
    for line in [
        "WORK_DEAD_LETTER_QUEUE_URL: !Ref WorkDeadLetterQueue",
        "INSPECTOR_MAX_CALLS_PER_SECOND: !Ref InspectorMaxCallsPerSecond",
        "THROTTLED_RETRY_HOURS: !Ref ThrottledRetryHours",
        "INLINE_MAX_ITEMS: !Ref InlineMaxItems",
    ] {
        assert!(function.contains(line), "{line}");
    }
    let alarm = resource(&t, "WorkDeadLetterAlarm");
    for line in [
        "Type: AWS::CloudWatch::Alarm",
        "Value: !GetAtt WorkDeadLetterQueue.QueueName",
        "MetricName: ApproximateNumberOfMessagesVisible",
        "ComparisonOperator: GreaterThanThreshold",
        "AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]",
    ] {
        assert!(alarm.contains(line), "{line}: {alarm}");
    }
    let dashboard = resource(&t, "SweepDashboard");
    assert!(dashboard.contains("Type: AWS::CloudWatch::Dashboard"));
    // The widgets' JSON, once the Sub's variables are filled in, parses.
    let body = &dashboard
        [dashboard.find("- |\n").unwrap() + 4..dashboard.find("        - Work:").unwrap()];
    let body = body
        .replace("${AWS::Region}", "us-east-1")
        .replace("${Work}", "work")
        .replace("${Dead}", "dead")
        .replace("${Fn}", "fn");
    let widgets: serde_json::Value = serde_json::from_str(&body).expect("dashboard JSON");
    let text = widgets.to_string();
    for metric in [
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesNotVisible",
        inspector_scan_router::telemetry::DISASSOCIATIONS_SUCCEEDED,
        inspector_scan_router::telemetry::SCANS_STARTED,
        inspector_scan_router::telemetry::CALLS_THROTTLED,
        inspector_scan_router::telemetry::TIME_PACED,
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

/// The routes declared as API Gateway resources of their own (those behind
/// a switch): (method, path, the resource's text).
fn switched_routes(t: &str) -> Vec<(String, String, String)> {
    let key = Regex::new(r"RouteKey: (\w+) (\S+)").unwrap();
    Regex::new(r"(?m)^  (\w+):\n    Type: AWS::ApiGatewayV2::Route$")
        .unwrap()
        .captures_iter(t)
        .map(|c| {
            let block = resource(t, &c[1]);
            let k = key.captures(&block).expect("RouteKey");
            let (method, path) = (k[1].to_string(), k[2].to_string());
            (method, path, block)
        })
        .collect()
}

/// The disassociation and Classic routes exist only when their switch is
/// on: the route, and the permission API Gateway needs to call the function.
#[test]
fn switched_off_operations_have_no_route() {
    use inspector_scan_router::domain::Operation;
    use inspector_scan_router::ingress::routes::{Handler, ROUTES};
    let t = template();
    let switched = switched_routes(&t);
    for route in ROUTES {
        let condition = match route.handler {
            Handler::Api(Operation::BatchDisassociateCodeSecurityScanConfiguration) => {
                "DisassociationEnabled"
            }
            Handler::Api(Operation::StartAssessmentRun) => "ClassicEnabled",
            _ => continue,
        };
        let (_, _, block) = switched
            .iter()
            .find(|(m, p, _)| m == route.method && p == route.path)
            .unwrap_or_else(|| panic!("{} {} is a route of its own", route.method, route.path));
        assert!(
            block.contains(&format!("    Condition: {condition}\n")),
            "{} {}: only when {condition}: {block}",
            route.method,
            route.path
        );
        let permission = Regex::new(&format!(
            r"(?m)^  \w+:\n    Type: AWS::Lambda::Permission\n    Condition: {condition}\n(?:.*\n)*?.*/\*/{}{}",
            route.method, route.path
        ))
        .unwrap();
        assert!(
            permission.is_match(&t),
            "{} {}: its permission, under {condition}",
            route.method,
            route.path
        );
    }
    assert_eq!(
        switched.len(),
        2,
        "only the switched routes are declared apart"
    );
}

/// One HttpApi event of the function: (method, path, its block of text).
fn http_events(t: &str) -> Vec<(String, String, String)> {
    let start = t.find("\n      Events:\n").expect("the function's Events");
    let section = &t[start + "\n      Events:\n".len()..];
    let end = section.find("\n\n").unwrap_or(section.len());
    let header = Regex::new(r"(?m)^        \w+:$").unwrap();
    let starts: Vec<usize> = header
        .find_iter(&section[..end])
        .map(|m| m.start())
        .collect();
    let route = Regex::new(r"(?m)^\s+Method: (\w+)\n\s+Path: (\S+)$").unwrap();
    starts
        .iter()
        .enumerate()
        .map(|(i, &s)| &section[s..starts.get(i + 1).copied().unwrap_or(end)])
        .filter(|block| block.contains("Type: HttpApi"))
        .map(|block| {
            let c = route.captures(block).expect("Method and Path");
            (c[1].to_string(), c[2].to_string(), block.to_string())
        })
        .collect()
}

#[test]
fn only_the_webhook_routes_lack_an_authorizer() {
    let t = template();
    let events = http_events(&t);
    let switched = switched_routes(&t);
    assert_eq!(
        events.len() + switched.len(),
        HTTP_ROUTES.len(),
        "every route, once"
    );
    for (m, p, block) in &switched {
        assert!(
            block.contains("AuthorizationType: !If [UseJwt, JWT, AWS_IAM]"),
            "{m} {p}: a switched route is never open"
        );
    }
    // A route names an authorizer only to have none; the others keep the API's.
    let open: BTreeSet<(String, String)> = events
        .iter()
        .filter(|(_, _, block)| block.contains("Authorizer:"))
        .map(|(m, p, block)| {
            assert!(
                block.contains("Auth:\n              Authorizer: NONE\n"),
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
    assert!(t.contains("        DefaultAuthorizer: !If [UseJwt, JwtAuthorizer, AWS_IAM]\n"));
    for (m, p, block) in &events {
        let throttled = block.contains("ThrottlingBurstLimit: !Ref WebhookThrottlingBurstLimit")
            && block.contains("ThrottlingRateLimit: !Ref WebhookThrottlingRateLimit");
        assert_eq!(
            throttled,
            webhooks.contains(&(m.clone(), p.clone())),
            "{m} {p}: webhook routes have their own throttling"
        );
    }
}

#[test]
fn the_function_reads_the_webhook_secret_and_no_other() {
    let t = template();
    let actions: Vec<&str> = Regex::new(r"secretsmanager:\w+")
        .unwrap()
        .find_iter(&t)
        .map(|m| m.as_str())
        .collect();
    assert_eq!(actions, [GET_SECRET_VALUE], "one secretsmanager action");
    assert!(t.contains(&format!(
        "              Action: {GET_SECRET_VALUE}\n              Resource: !Ref WebhookSecret\n"
    )));
    assert!(t.contains("          WEBHOOK_SECRET_ARN: !Ref WebhookSecret\n"));
    assert!(t.contains("\n  WebhookSecret:\n    Type: AWS::SecretsManager::Secret\n"));
    let outputs = &t[t.find("\nOutputs:\n").expect("Outputs")..];
    assert!(outputs.contains("  WebhookSecretArn:\n"));
    for (path, provider) in WEBHOOK_ROUTES {
        assert!(
            outputs.contains(&format!("/prod{path}\"")),
            "{} webhook URL output",
            provider.title()
        );
    }
}

#[test]
fn only_the_functions_role_sends_to_the_work_queue() {
    let t = template();
    let policy = resource(&t, "WorkQueuePolicy");
    assert!(policy.contains("Type: AWS::SQS::QueuePolicy"));
    assert!(policy.contains("Queues: [!Ref WorkQueue]"));
    let deny = &policy[policy.find("Effect: Deny").expect("a deny")..];
    assert!(deny.contains("Principal: \"*\""));
    assert!(deny.contains("Action: sqs:SendMessage"));
    assert!(deny.contains(
        "ArnNotEquals:\n                aws:PrincipalArn: !GetAtt ScanRouterFunctionRole.Arn"
    ));
    let function = resource(&t, "ScanRouterFunction");
    assert!(function.contains("WORK_QUEUE_ARN: !GetAtt WorkQueue.Arn"));
}

#[test]
fn switches_take_away_permission_rule_and_schedule() {
    let t = template();
    for (param, default) in [("EnableDisassociation", "true"), ("EnableClassic", "false")] {
        let p = &t[t.find(&format!("\n  {param}:\n")).expect(param)..];
        assert!(
            p.lines()
                .nth(3)
                .unwrap()
                .contains(&format!("Default: \"{default}\"")),
            "{param}"
        );
    }
    let function = resource(&t, "ScanRouterFunction");
    for env in [
        "DISASSOCIATION_ENABLED: !Ref EnableDisassociation",
        "CLASSIC_ENABLED: !Ref EnableClassic",
        "HTTP_AUTH: !Ref HttpAuth",
        "DISASSOCIATION_COMMANDS_ENABLED: !If [DisassociationCommandsEnabled, \"true\", \"false\"]",
    ] {
        assert!(function.contains(env), "{env}");
    }
    // Each permission only under its condition.
    for (condition, action) in [
        (
            "DisassociationEnabled",
            "inspector2:BatchDisassociateCodeSecurityScanConfiguration",
        ),
        ("ClassicEnabled", "inspector:StartAssessmentRun"),
    ] {
        let at = function.find(action).expect(action);
        let before = &function[..at];
        let branch = &before[before.rfind("- !If").expect("a conditional statement")..];
        assert!(
            branch.contains(&format!("- {condition}\n")),
            "{action} under {condition}"
        );
        assert_eq!(function.matches(action).count(), 1, "{action} granted once");
    }
    // The Classic schedule only with Classic on.
    let conditions = &t[t.find("Conditions:").unwrap()..t.find("Globals:").unwrap()];
    assert!(
        conditions.contains("AssessmentScheduleEnabled: !And\n    - !Condition ClassicEnabled")
    );
    assert!(
        resource(&t, "AssessmentScheduleRule").contains("Condition: AssessmentScheduleEnabled")
    );
    assert!(
        resource(&t, "AssessmentSchedulePermission")
            .contains("Condition: AssessmentScheduleEnabled")
    );
}

#[test]
fn the_bus_admits_only_the_named_sources() {
    let t = template();
    let policy = resource(&t, "CommandBusPolicy");
    let condition = &policy[policy.find("Condition:\n").expect("a condition")..];
    assert!(condition.contains("StringEquals:\n            events:source:"));
    for source in [
        "!Ref CommandSource",
        "!Ref GitHubSource",
        "!Ref GitLabSource",
    ] {
        assert!(condition.contains(&format!("- {source}")), "{source}");
    }
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
    let queue = resource(&t, "ScanWatchQueue");
    for line in [
        "FifoQueue: true",
        "SqsManagedSseEnabled: true",
        "DelaySeconds: !Ref ScanWatchFirstDelaySeconds",
        "deadLetterTargetArn: !GetAtt ScanWatchDeadLetterQueue.Arn",
        "maxReceiveCount: 100",
    ] {
        assert!(queue.contains(line), "{line}: {queue}");
    }
    let dlq = resource(&t, "ScanWatchDeadLetterQueue");
    assert!(dlq.contains("FifoQueue: true") && dlq.contains("SqsManagedSseEnabled: true"));
    let alarm = resource(&t, "ScanWatchDeadLetterAlarm");
    assert!(alarm.contains("Value: !GetAtt ScanWatchDeadLetterQueue.QueueName"));
    assert!(
        alarm
            .contains("AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]")
    );

    let function = resource(&t, "ScanRouterFunction");
    for line in [
        "SCAN_RESULTS: !Ref ScanResults",
        "SCAN_WATCH_QUEUE_URL: !Ref ScanWatchQueue",
        "SCAN_WATCH_QUEUE_ARN: !GetAtt ScanWatchQueue.Arn",
        "SCAN_WATCH_FIRST_DELAY_SECONDS: !Ref ScanWatchFirstDelaySeconds",
        "SCAN_WATCH_MAX_HOURS: !Ref ScanWatchMaxHours",
        "RESULTS_EVENT_BUS: !If [CreateEventBus, !Ref CommandBus, !Ref EventBusName]",
        "RESULTS_EVENT_SOURCE: !Ref ResultsEventSource",
    ] {
        assert!(function.contains(line), "{line}");
    }
    let events = &function[function.find("      Events:").unwrap()..];
    let mapping = &events[events.find("        ScanWatchQueue:").unwrap()..];
    let mapping = &mapping[..mapping.find("        StartScan:").unwrap()];
    for line in [
        "Type: SQS",
        "Queue: !GetAtt ScanWatchQueue.Arn",
        "FunctionResponseTypes: [ReportBatchItemFailures]",
    ] {
        assert!(mapping.contains(line), "{line}: {mapping}");
    }
    let grant = |sid: &str| {
        let start = function.find(&format!("- Sid: {sid}\n")).expect(sid);
        let rest = &function[start..];
        rest[..rest[1..].find("- Sid:").map_or(rest.len(), |e| e + 1)].to_string()
    };
    let watch = grant("ScanWatchQueue");
    assert!(watch.contains(inspector_scan_router::queue::SEND_ACTION));
    assert!(watch.contains(inspector_scan_router::queue::watch::HOLD_ACTION));
    assert!(watch.contains("Resource: !GetAtt ScanWatchQueue.Arn"));
    let put = grant("ResultsEvents");
    assert!(put.contains(&format!(
        "Action: {}",
        inspector_scan_router::results::PUT_EVENTS_ACTION
    )));
    assert!(put.contains("!GetAtt CommandBus.Arn") && put.contains("event-bus/${EventBusName}"));
    assert!(!put.contains("Resource: \"*\""), "the bus only");
    assert_eq!(
        t.matches("Action: events:PutEvents").count(),
        2,
        "the role's grant and the bus policy's for trusted accounts, no other"
    );

    let rule = rule(&t, "FindingsNotifyRule");
    assert!(rule.contains("Condition: NotifyOnFindingsEnabled"));
    assert!(rule.contains("source: [!Ref ResultsEventSource]"));
    assert!(rule.contains("detail-type: [Code Security Scan Completed]"));
    assert!(rule.contains("critical: [{numeric: [\">\", 0]}]"));
    assert!(rule.contains("high: [{numeric: [\">\", 0]}]"));
    assert!(t.contains("AllowedValues: [\"off\", critical, high]"));
    // The function's own rules never match its results: their sources are
    // the command and push sources, and the results source is a parameter
    // of its own whose default is none of them.
    assert!(t.contains("Default: inspector-scan-router"));
    assert_eq!(
        inspector_scan_router::domain::completion::DETAIL_TYPE,
        "Code Security Scan Completed"
    );

    let dashboard = resource(&t, "SweepDashboard");
    for metric in [SCANS_STARTED, SCANS_FINISHED, WATCHES_TIMED_OUT, WATCH_AGE] {
        assert!(dashboard.contains(metric), "the dashboard shows {metric}");
    }
    assert!(dashboard.contains("\"FAILED\""));
}
