use super::*;
use crate::domain::gate::{HttpAuth, Rules, Switches, Through, decide};
use crate::domain::{Action, Operation};
use serde_json::json;

const ARN: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/7c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f";
const PROJECT: &str = "project-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

fn input(v: Value) -> ConfigurationsInput {
    serde_json::from_value(v).expect("the shape decodes")
}

fn fields(e: Error) -> Vec<String> {
    e.fields().iter().map(|f| f.field.clone()).collect()
}

#[test]
fn each_direction_is_a_named_operation_with_its_own_route_scope_and_switch() {
    let [a, d] = Direction::ALL;
    assert_eq!(a.name(), "BatchAssociateCodeSecurityScanConfiguration");
    assert_eq!(d.name(), "BatchDisassociateCodeSecurityScanConfiguration");
    for dir in Direction::ALL {
        assert_eq!(Operation::from_name(dir.name()), Some(dir.operation()));
        assert_eq!(dir.operation().name(), dir.name());
        assert_eq!(dir.iam_action(), format!("inspector2:{}", dir.name()));
        assert!(dir.operation().on_the_bus());
    }
    assert_eq!(a.request_field(), "associateConfigurationRequests");
    assert_eq!(a.path(), "/scan-configurations/associate");
    assert_eq!(a.scope(), "configurations.associate");
    assert_eq!(a.switch().setting, "ASSOCIATION_ENABLED");
    assert_eq!(a.switch().parameter, "EnableAssociation");
    assert_eq!(d.switch().setting, "DISASSOCIATION_ENABLED");
    assert_eq!(
        a.switches(true),
        [a.switch()],
        "association needs no second opt-in"
    );
    assert_eq!(d.switches(true), [d.switch(), DISASSOCIATION_COMMANDS]);
    assert_eq!(d.switches(false), [d.switch()]);
}

#[test]
fn every_item_is_validated_and_duplicates_are_refused_in_either_direction() {
    let item = json!({"scanConfigurationArn": ARN, "resource": {"projectId": PROJECT}});
    let bad = json!({"scanConfigurationArn": "arn:aws:s3:::bucket", "resource": {}});
    for dir in Direction::ALL {
        let f = dir.request_field();
        let e = input(json!({ f: [item, bad, item] }))
            .validate(dir, 100)
            .unwrap_err();
        assert_eq!(
            fields(e),
            [
                format!("{f}[1].scanConfigurationArn"),
                format!("{f}[1].resource.projectId"),
                format!("{f}[2]"),
            ]
        );
        assert!(input(json!({ f: [] })).validate(dir, 100).is_err());
        let e = input(json!({})).validate(dir, 100).unwrap_err();
        assert_eq!(fields(e), [f]);
        let many: Vec<Value> = (0..60)
            .map(|i| {
                json!({"scanConfigurationArn": ARN,
                       "resource": {"projectId": format!("project-0a1b2c3d-4e5f-6a7b-8c9d-{i:012x}")}})
            })
            .collect();
        let c = input(json!({ f: many })).validate(dir, 1000).unwrap();
        assert_eq!((c.direction, c.items.len()), (dir, 60));
        let e = input(json!({ f: many })).validate(dir, 59).unwrap_err();
        assert_eq!(fields(e), [f], "over the request limit");
    }
}

#[test]
fn the_other_directions_list_is_refused_by_name() {
    let item = json!({"scanConfigurationArn": ARN, "resource": {"projectId": PROJECT}});
    let [a, d] = Direction::ALL;
    let e = input(json!({ d.request_field(): [item] }))
        .validate(a, 100)
        .unwrap_err();
    assert_eq!(fields(e), [d.request_field()]);
    let e = input(json!({ a.request_field(): [item], d.request_field(): [item] }))
        .validate(d, 100)
        .unwrap_err();
    assert_eq!(fields(e), [a.request_field()]);
}

#[test]
fn plans_and_messages_hold_at_most_25_items_in_order() {
    for dir in Direction::ALL {
        let change = ConfigurationChange {
            direction: dir,
            items: (0..60)
                .map(|i| ConfigurationItem {
                    scan_configuration_arn: format!("arn-{i}"),
                    project_id: format!("p-{i}"),
                })
                .collect(),
        };
        let calls = change.plan();
        let f = dir.request_field();
        let sizes: Vec<usize> = calls
            .iter()
            .map(|c| c[f].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [25, 25, 10]);
        assert_eq!(calls[2][f][9]["resource"]["projectId"], "p-59");
        let bodies = change.messages(25);
        assert_eq!(bodies.len(), 3);
        assert_eq!(bodies[0]["action"], dir.name());
        assert_eq!(bodies[1][f][0]["scanConfigurationArn"], "arn-25");
        assert_eq!(change.names()[59], "arn-59/p-59");
    }
}

fn one(direction: Direction) -> Action {
    Action::Configurations(ConfigurationChange {
        direction,
        items: vec![ConfigurationItem {
            scan_configuration_arn: ARN.into(),
            project_id: PROJECT.into(),
        }],
    })
}

#[test]
fn only_disassociation_by_eventbridge_command_needs_the_second_opt_in() {
    let [a, d] = Direction::ALL;
    let rules = Rules {
        allowed_scan_configuration_arns: None,
        jwt_scope_prefix: "",
        http_auth: HttpAuth::None,
        switches: Switches::ON.with(DISASSOCIATION_COMMANDS, false),
    };
    let e = decide(&rules, Through::EventBridge, one(d)).unwrap_err();
    assert!(
        e.to_string().contains("EnableDisassociationCommands=true"),
        "{e}"
    );
    assert!(decide(&rules, Through::Direct, one(d)).is_ok());
    assert!(decide(&rules, Through::EventBridge, one(a)).is_ok());
    // Each direction's switch is its own: one off leaves the other on.
    let rules = Rules {
        switches: Switches::ON.with(a.switch(), false),
        ..rules
    };
    let e = decide(&rules, Through::Direct, one(a)).unwrap_err();
    assert!(e.to_string().contains("ASSOCIATION_ENABLED=false"), "{e}");
    assert!(decide(&rules, Through::Direct, one(d)).is_ok());
}
