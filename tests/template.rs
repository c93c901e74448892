//! The SAM template agrees with the code: every HTTP route the router serves
//! is an API route, every command detail-type is in the rule, and the
//! function's role grants exactly the Inspector actions the code calls; only
//! the webhook routes go without an authorizer, and the one secret the
//! function reads is the webhook secret.

use inspector_scan_router::domain::Operation;
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
    let in_template: BTreeSet<(String, String)> = re
        .captures_iter(&t)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    let in_code: BTreeSet<(String, String)> = HTTP_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(in_template, in_code);
}

#[test]
fn iam_actions_are_exactly_those_called() {
    let t = template();
    let re = Regex::new(r"(?m)^\s+- (inspector2?:[A-Za-z*]+)\s*$").unwrap();
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

#[test]
fn command_rule_lists_the_event_operations() {
    let t = template();
    let start = t.find("  CommandRule:").expect("CommandRule");
    let rule = &t[start..];
    let block = &rule[rule.find("detail-type:").unwrap()..rule.find("Targets:").unwrap()];
    let listed: BTreeSet<&str> = block
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().strip_prefix("- "))
        .collect();
    let handled: BTreeSet<&str> = EVENT_OPERATIONS.iter().map(|o| o.name()).collect();
    assert_eq!(listed, handled);
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
    assert_eq!(events.len(), HTTP_ROUTES.len(), "every route, once");
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
