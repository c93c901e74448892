//! The gate's rules, action by action and trigger by trigger (moved from
//! the unit tests: `domain::gate`'s public behaviour).

use inspector_scan_router::domain::Error;
use inspector_scan_router::domain::assessment_run::{CLASSIC, CLASSIC_END_OF_SUPPORT};
use inspector_scan_router::domain::gate::*;
use inspector_scan_router::domain::{
    Action, ConfigurationChange, ConfigurationItem, Direction, ScanTarget, Skip, StartRun,
    StartScan,
};

const ALLOWED: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/allowed";
const OTHER: &str =
    "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/other";

/// A scan-configuration batch of one item, in `direction`.
fn configure(direction: Direction, arn: &str) -> Action {
    Action::Configurations(ConfigurationChange {
        direction,
        items: vec![ConfigurationItem {
            scan_configuration_arn: arn.into(),
            project_id: "project-1".into(),
        }],
    })
}

fn run() -> Action {
    Action::StartAssessmentRun(StartRun {
        assessment_template_arn: "arn:aws:inspector:us-east-1:123456789012:target/0-a/template/0-b"
            .into(),
        assessment_run_name: None,
    })
}

fn scan() -> Action {
    Action::StartCodeSecurityScan(StartScan {
        target: ScanTarget::ProjectId("project-1".into()),
        client_token: None,
    })
}

fn rules(allowed: &[String]) -> Rules<'_> {
    Rules {
        allowed_scan_configuration_arns: Some(allowed),
        jwt_scope_prefix: "p/",
        http_auth: HttpAuth::None,
        switches: Switches::ON,
    }
}

fn every_trigger<'a>() -> Vec<Through<'a>> {
    vec![
        Through::Http {
            principal: Some(Principal::Iam),
            scopes: None,
            route_scope: Some("scans.start"),
            function_url: false,
        },
        Through::Webhook,
        Through::EventBridge,
        Through::Direct,
        Through::Queue,
    ]
}

#[test]
fn the_allow_list_holds_on_every_trigger() {
    let allowed = vec![ALLOWED.to_string()];
    for (through, d) in every_trigger()
        .into_iter()
        .zip(Direction::ALL.into_iter().cycle())
    {
        for d in [d, d] {
            assert!(decide(&rules(&allowed), through, configure(d, ALLOWED)).is_ok());
            let e = decide(&rules(&allowed), through, configure(d, OTHER)).unwrap_err();
            assert_eq!(e.code(), "Forbidden", "{}", through.name());
            let field = &e.fields()[0].field;
            assert!(
                field.ends_with(&format!("{}[0].scanConfigurationArn", d.request_field())),
                "{field}"
            );
        }
    }
}

#[test]
fn switched_off_operations_are_refused_on_every_trigger() {
    let allowed = vec![ALLOWED.to_string()];
    let mut r = rules(&allowed);
    r.switches = Switches::ON;
    for d in Direction::ALL {
        r.switches = r.switches.with(d.switch(), false);
    }
    r.switches = r.switches.with(CLASSIC, false);
    for through in every_trigger() {
        for d in Direction::ALL {
            let e = decide(&r, through, configure(d, ALLOWED)).unwrap_err();
            let wanted = format!("{}=true", d.switch().parameter);
            assert!(e.to_string().contains(&wanted), "{e}");
        }
        let e = decide(&r, through, run()).unwrap_err();
        assert!(e.to_string().contains("EnableClassic=true"), "{e}");
        assert!(e.to_string().contains(CLASSIC_END_OF_SUPPORT));
        let runs = Action::StartAssessmentRuns(vec![]);
        assert!(matches!(
            decide(&r, through, runs).unwrap_err(),
            Error::Forbidden { .. }
        ));
        assert!(decide(&r, through, scan()).is_ok());
    }
}

#[test]
fn unset_switches_refuse_on_every_trigger() {
    let allowed = vec![ALLOWED.to_string()];
    let mut r = rules(&allowed);
    r.switches = Switches::default();
    assert_eq!(r.switches, Switches::OFF, "the default is off");
    for through in every_trigger() {
        for d in Direction::ALL {
            assert!(decide(&r, through, configure(d, ALLOWED)).is_err());
        }
        assert!(decide(&r, through, run()).is_err());
        assert!(decide(&r, through, scan()).is_ok());
    }
}

#[test]
fn findings_are_not_switched_and_need_their_own_scope() {
    let allowed = vec![ALLOWED.to_string()];
    let mut r = rules(&allowed);
    r.http_auth = HttpAuth::Jwt;
    let findings = || {
        Action::GetCodeSecurityScanFindings(inspector_scan_router::domain::GetScan {
            project_id: "project-1".into(),
            scan_id: "s-1".into(),
        })
    };
    let read = vec!["p/scans.read".to_string()];
    let through = |scopes| Through::Http {
        principal: Some(Principal::Jwt),
        scopes: Some(scopes),
        route_scope: Some("findings.read"),
        function_url: false,
    };
    let e = decide(&r, through(&read), findings()).unwrap_err();
    assert!(e.to_string().contains("p/findings.read"), "{e}");
    let both = vec!["p/scans.read".to_string(), "p/findings.read".to_string()];
    assert!(decide(&r, through(&both), findings()).is_ok());
}

#[test]
fn http_identity_scopes_and_function_urls() {
    let allowed = vec![ALLOWED.to_string()];
    let mut r = rules(&allowed);
    r.http_auth = HttpAuth::Iam;
    let http = |principal, scopes, function_url| Through::Http {
        principal,
        scopes,
        route_scope: Some("scans.start"),
        function_url,
    };
    let e = decide(&r, http(None, None, false), scan()).unwrap_err();
    assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
    let e = decide(&r, http(Some(Principal::Jwt), None, false), scan()).unwrap_err();
    assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
    assert!(decide(&r, http(Some(Principal::Iam), None, false), scan()).is_ok());
    // An IAM-authenticated function URL may carry the API; an open one not.
    assert!(decide(&r, http(Some(Principal::Iam), None, true), scan()).is_ok());
    r.http_auth = HttpAuth::None;
    let e = decide(&r, http(None, None, true), scan()).unwrap_err();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
    // JWT scopes, per operation.
    r.http_auth = HttpAuth::Jwt;
    let scopes = vec!["p/scans.start".to_string()];
    let jwt = http(Some(Principal::Jwt), Some(&scopes), false);
    assert!(decide(&r, jwt, scan()).is_ok());
    for d in Direction::ALL {
        let to_configure = Through::Http {
            principal: Some(Principal::Jwt),
            scopes: Some(&scopes),
            route_scope: Some(d.scope()),
            function_url: false,
        };
        let e = decide(&r, to_configure, configure(d, ALLOWED)).unwrap_err();
        assert!(e.to_string().contains(&format!("p/{}", d.scope())), "{e}");
    }
    let skip = Action::Skip(Skip {
        reason: "tag".into(),
        repository: None,
        git_ref: None,
    });
    assert!(decide(&r, Through::Webhook, skip).is_ok());
}

#[test]
fn only_the_own_queue_is_admitted() {
    let own = "arn:aws:sqs:us-east-1:123456789012:work";
    let watch = "arn:aws:sqs:us-east-1:123456789012:watch.fifo";
    assert_eq!(
        admit_batch(
            [Some(own), Some(own)],
            OwnQueues {
                work: Some(own),
                watch: None,
                sweep: None
            }
        ),
        Ok(OwnQueue::Work)
    );
    assert_eq!(
        admit_batch(
            [Some(watch)],
            OwnQueues {
                work: Some(own),
                watch: Some(watch),
                sweep: None
            }
        ),
        Ok(OwnQueue::Watch)
    );
    let other = "arn:aws:sqs:us-east-1:123456789012:other";
    assert!(
        admit_batch(
            [Some(own), Some(other)],
            OwnQueues {
                work: Some(own),
                watch: Some(watch),
                sweep: None
            }
        )
        .is_err()
    );
    assert!(
        admit_batch(
            [Some(own), Some(watch)],
            OwnQueues {
                work: Some(own),
                watch: Some(watch),
                sweep: None
            }
        )
        .is_err()
    );
    assert!(
        admit_batch(
            [Some(watch)],
            OwnQueues {
                work: Some(own),
                watch: None,
                sweep: None
            }
        )
        .is_err()
    );
    assert!(
        admit_batch(
            [None],
            OwnQueues {
                work: Some(own),
                watch: Some(watch),
                sweep: None
            }
        )
        .is_err()
    );
    assert!(
        admit_batch(
            [Some(own)],
            OwnQueues {
                work: None,
                watch: None,
                sweep: None
            }
        )
        .is_err()
    );
    let sweep = "arn:aws:sqs:us-east-1:123456789012:sweep.fifo";
    let all = OwnQueues {
        work: Some(own),
        watch: Some(watch),
        sweep: Some(sweep),
    };
    assert_eq!(
        admit_batch([Some(sweep), Some(sweep)], all),
        Ok(OwnQueue::Sweep)
    );
    assert!(admit_batch([Some(sweep), Some(own)], all).is_err(), "mixed");
    assert!(admit_batch([Some(sweep)], OwnQueues { sweep: None, ..all }).is_err());
}

#[test]
fn queue_arns_from_urls() {
    assert_eq!(
        queue_arn(
            "https://sqs.eu-west-1.amazonaws.com/123456789012/work",
            None
        )
        .as_deref(),
        Some("arn:aws:sqs:eu-west-1:123456789012:work")
    );
    assert_eq!(
        queue_arn(
            "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q",
            Some("us-east-1")
        )
        .as_deref(),
        Some("arn:aws-cn:sqs:cn-north-1:123456789012:q")
    );
    assert_eq!(
        queue_arn("http://127.0.0.1:9/123456789012/work", Some("us-east-1")).as_deref(),
        Some("arn:aws:sqs:us-east-1:123456789012:work")
    );
    assert_eq!(
        queue_arn("http://127.0.0.1:9/123456789012/work", None),
        None
    );
    assert_eq!(
        queue_arn("https://sqs.us-east-1.amazonaws.com/work", None),
        None
    );
}

/// A sweep by selector passes the gate by the rules of its operation,
/// before anything is listed: the operation's switches (disassociation
/// from the bus needs its second opt-in), the route's JWT scope, and the
/// allow-list over every configuration it names.
#[test]
fn a_sweep_is_decided_by_its_operations_rules() {
    use inspector_scan_router::domain::selector::Selector;
    use inspector_scan_router::domain::sweep::{Sweep, SweepOf};
    let allowed = vec![ALLOWED.to_string()];
    let sweep = |direction: Option<Direction>, select: Selector| {
        Action::Sweep(Sweep {
            of: match direction {
                Some(direction) => SweepOf::Configurations {
                    direction,
                    scan_configuration_arn: ALLOWED.into(),
                },
                None => SweepOf::Scans { token_base: None },
            },
            select,
            next_token: None,
            key: None,
        })
    };
    let covered = Selector::Covered {
        project_name_prefix: None,
        provider_type: None,
    };
    // Switches.
    for direction in Direction::ALL {
        let off = Rules {
            switches: Switches::ON.with(direction.switch(), false),
            ..rules(&allowed)
        };
        let e = decide(
            &off,
            Through::Direct,
            sweep(Some(direction), covered.clone()),
        );
        assert_eq!(e.unwrap_err().code(), "Forbidden", "{direction:?}");
        assert!(
            decide(
                &rules(&allowed),
                Through::Direct,
                sweep(Some(direction), covered.clone())
            )
            .is_ok()
        );
    }
    let no_commands = Rules {
        switches: Switches::ON.with(
            inspector_scan_router::domain::configurations::DISASSOCIATION_COMMANDS,
            false,
        ),
        ..rules(&allowed)
    };
    let detach = sweep(Some(Direction::Disassociate), covered.clone());
    assert!(decide(&no_commands, Through::EventBridge, detach.clone()).is_err());
    assert!(decide(&no_commands, Through::Direct, detach).is_ok());
    // The route's scope, as for a list.
    let granted = ["p/configurations.associate".to_string()];
    let jwt = |route: &'static str| Through::Http {
        principal: Some(Principal::Jwt),
        scopes: Some(&granted),
        route_scope: Some(route),
        function_url: false,
    };
    let associate = sweep(Some(Direction::Associate), covered.clone());
    assert!(decide(&rules(&allowed), jwt("configurations.associate"), associate).is_ok());
    let rescan = sweep(None, covered.clone());
    assert!(decide(&rules(&allowed), jwt("scans.start"), rescan).is_err());
    // The allow-list: the configuration it selects by, too.
    let by_other = sweep(
        Some(Direction::Associate),
        Selector::Configuration(OTHER.into()),
    );
    let e = decide(&rules(&allowed), Through::Direct, by_other).unwrap_err();
    assert!(format!("{e:?}").contains("select.associatedWith"), "{e:?}");
    let scans_by_other = sweep(None, Selector::Configuration(OTHER.into()));
    assert!(decide(&rules(&allowed), Through::Direct, scans_by_other).is_err());
}
