//! Sweep requests, decoded and validated as every trigger's are: a
//! selector on each of the three operations, never beside a list, every
//! wrong field named; a page becoming the work of the projects the
//! selector keeps, each once, with the same scan token on every delivery;
//! a sweep carried through the sweep queue and read back as it was; every
//! configuration a sweep names checked against the allow-list.

use inspector_scan_router::domain::keys::derive_token;
use inspector_scan_router::domain::request::{Origin, Request, action_for};
use inspector_scan_router::domain::selector::{Listed, Page, Selector};
use inspector_scan_router::domain::sweep::{Sweep, SweepOf};
use inspector_scan_router::domain::{Action, Direction, Error, Operation};
use serde_json::{Value, json};

const ARN: &str = crate::common::CONFIG_ARN;

fn action(op: Operation, body: Value) -> Result<Action, Error> {
    let origin = Origin {
        token_base: Some("event-1".into()),
        scope: "direct".into(),
        ..Origin::default()
    };
    action_for(Request::decode(op, body)?, 100, &origin)
}

fn listed(id: &str, name: &str, provider: &str) -> Listed {
    Listed {
        project_id: id.into(),
        project_name: Some(name.into()),
        provider_type: Some(provider.into()),
    }
}

#[test]
fn a_selector_is_decoded_for_scans_and_both_directions() {
    let scan = action(
        Operation::StartCodeSecurityScan,
        json!({"select": {"covered": {"projectNamePrefix": "org/", "providerType": "GITHUB"}},
               "idempotencyKey": "rescan-1"}),
    )
    .unwrap();
    let Action::Sweep(s) = scan else {
        panic!("{scan:?}")
    };
    assert_eq!(s.operation(), Operation::StartCodeSecurityScan);
    assert_eq!(s.key.as_deref(), Some("rescan-1"));
    assert!(
        matches!(&s.of, SweepOf::Scans { token_base: Some(b) } if b != "event-1"),
        "the caller's key, scoped, is the tokens' base: {:?}",
        s.of
    );
    for direction in Direction::ALL {
        let a = action(
            direction.operation(),
            json!({"scanConfigurationArn": ARN, "select": {"associatedWith": ARN}}),
        )
        .unwrap();
        let Action::Sweep(s) = a else { panic!("{a:?}") };
        assert_eq!(s.operation(), direction.operation());
        assert_eq!(s.select, Selector::Configuration(ARN.into()));
        assert_eq!(s.configurations().len(), 2);
    }
}

#[test]
fn a_selector_and_a_list_never_go_together_and_each_wrong_field_is_named() {
    let refused = [
        (
            Operation::StartCodeSecurityScan,
            json!({"select": {"covered": {}}, "projectIds": ["project-1"]}),
            "projectIds",
        ),
        (
            Direction::Disassociate.operation(),
            json!({"select": {"covered": {}}, "scanConfigurationArn": ARN,
                   "disassociateConfigurationRequests": []}),
            "disassociateConfigurationRequests",
        ),
        (
            Direction::Associate.operation(),
            json!({"scanConfigurationArn": ARN, "associateConfigurationRequests": []}),
            "scanConfigurationArn",
        ),
        (
            Direction::Associate.operation(),
            json!({"select": {"covered": {}}}),
            "scanConfigurationArn",
        ),
        (
            Direction::Associate.operation(),
            json!({"select": {"covered": {}}, "scanConfigurationArn": "arn:aws:s3:::b"}),
            "scanConfigurationArn",
        ),
        (
            Operation::StartCodeSecurityScan,
            json!({"select": {}}),
            "select",
        ),
        (
            Operation::StartCodeSecurityScan,
            json!({"select": {"covered": {}, "associatedWith": ARN}}),
            "select",
        ),
        (
            Operation::StartCodeSecurityScan,
            json!({"select": {"covered": {"providerType": "BITBUCKET"}}}),
            "select.covered.providerType",
        ),
        (
            Operation::StartCodeSecurityScan,
            json!({"select": {"covered": {"projectNamePrefix": ""}}}),
            "select.covered.projectNamePrefix",
        ),
        (
            Operation::StartCodeSecurityScan,
            json!({"select": {"associatedWith": "arn:aws:s3:::bucket"}}),
            "select.associatedWith",
        ),
        (
            Operation::StartCodeSecurityScan,
            json!({"nextToken": "t"}),
            "nextToken",
        ),
        (
            Operation::StartCodeSecurityScan,
            json!({"select": {"covered": {}}, "nextToken": "a\u{7}b"}),
            "nextToken",
        ),
    ];
    for (op, body, field) in refused {
        let e = action(op, body.clone()).unwrap_err();
        assert_eq!(e.code(), "InvalidRequest", "{body}");
        assert!(format!("{e:?}").contains(field), "{body}: {e:?}");
    }
    let unknown = action(
        Operation::StartCodeSecurityScan,
        json!({"select": {"covered": {"name": "x"}}}),
    )
    .unwrap_err();
    assert_eq!(unknown.code(), "InvalidRequest");
}

#[test]
fn a_page_becomes_work_for_the_projects_the_selector_keeps_each_once() {
    let sweep = Sweep {
        of: SweepOf::Scans {
            token_base: Some("k-1".into()),
        },
        select: Selector::Covered {
            project_name_prefix: Some("payments/".into()),
            provider_type: Some("GITHUB".into()),
        },
        next_token: None,
        key: None,
    };
    let page = Page {
        projects: vec![
            listed("project-a", "payments/api", "GITHUB"),
            listed("project-b", "payments/web", "GITLAB_SELF_MANAGED"),
            listed("project-c", "search/api", "GITHUB"),
            listed("project-a", "payments/api", "GITHUB"),
        ],
        next_token: Some("t".into()),
    };
    let Some(Action::StartCodeSecurityScans(scans)) = Action::of_page(&sweep, &page) else {
        panic!()
    };
    assert_eq!(scans.len(), 1, "prefix, provider, duplicates: {scans:?}");
    assert_eq!(
        scans[0].client_token.as_deref(),
        Some(derive_token("k-1", "project-a").as_str()),
        "the same token on every delivery"
    );
    let none = Page {
        projects: vec![listed("project-c", "search/api", "GITHUB")],
        next_token: None,
    };
    assert_eq!(Action::of_page(&sweep, &none), None);

    let detach = Sweep {
        of: SweepOf::Configurations {
            direction: Direction::Disassociate,
            scan_configuration_arn: ARN.into(),
        },
        select: Selector::Configuration(ARN.into()),
        next_token: None,
        key: None,
    };
    let Some(Action::Configurations(c)) = Action::of_page(&detach, &page) else {
        panic!()
    };
    assert_eq!(c.items.len(), 3, "each project once");
    assert!(c.items.iter().all(|i| i.scan_configuration_arn == ARN));
}

#[test]
fn a_sweep_goes_on_from_its_queue_body_as_it_was() {
    for sweep in [
        Sweep {
            of: SweepOf::Configurations {
                direction: Direction::Associate,
                scan_configuration_arn: ARN.into(),
            },
            select: Selector::Covered {
                project_name_prefix: Some("org/".into()),
                provider_type: None,
            },
            next_token: Some("page-7".into()),
            key: None,
        },
        Sweep {
            of: SweepOf::Scans {
                token_base: Some("k-0123".into()),
            },
            select: Selector::Configuration(ARN.into()),
            next_token: None,
            key: None,
        },
    ] {
        let body = sweep.body();
        let op = Operation::from_name(body["action"].as_str().unwrap()).unwrap();
        let mut fields = body.clone();
        fields.as_object_mut().unwrap().remove("action");
        let Action::Sweep(again) = action(op, fields).unwrap() else {
            panic!()
        };
        assert_eq!(again, sweep, "{body}");
    }
}

#[test]
fn the_allow_list_names_every_configuration_a_sweep_touches() {
    let other = ARN.replace("7c1e", "8c1e");
    let sweep = Sweep {
        of: SweepOf::Configurations {
            direction: Direction::Associate,
            scan_configuration_arn: ARN.into(),
        },
        select: Selector::Configuration(other.clone()),
        next_token: None,
        key: None,
    };
    let fields: Vec<String> = sweep
        .outside(&[ARN.to_string()], "detail.")
        .into_iter()
        .map(|f| f.field)
        .collect();
    assert_eq!(fields, ["detail.select.associatedWith"]);
    assert!(sweep.outside(&[ARN.to_string(), other], "").is_empty());
}
