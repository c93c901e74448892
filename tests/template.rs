//! The SAM template agrees with the code: every HTTP route the router serves
//! is an API route, every command detail-type is in the rule, and the
//! function's role grants exactly the Inspector actions the code calls.

use inspector_scan_router::domain::Operation;
use inspector_scan_router::ingress::{EVENT_OPERATIONS, HTTP_ROUTES};
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
