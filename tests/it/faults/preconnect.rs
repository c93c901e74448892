//! PRECONNECT: the connection opened at init is the one the first invocation
//! uses, the request that opens it carries no authentication, and an endpoint
//! that does not answer costs init no more than the budget.

use crate::common;

use common::*;
use inspector_scan_router::config::PreconnectSettings;
use inspector_scan_router::inspector::preconnect::{STRIPPED_HEADERS, Service};
use inspector_scan_router::{App, Settings};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A TCP relay in front of `upstream` that counts the connections it accepts.
async fn counting_relay(upstream: std::net::SocketAddr) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (format!("http://{address}"), accepted)
}

/// Session credentials, so that the session token header exists to be stripped.
async fn app_at(endpoint: &str, preconnect: Vec<Service>, budget: Duration) -> App {
    let sdk = loader(endpoint, Some("test-session-token")).load().await;
    let settings = Settings {
        preconnect: PreconnectSettings {
            services: preconnect,
            timeout: budget,
        },
        ..crate::common::settings()
    };
    App::new(settings, Some(&sdk))
}

/// The stand-in refuses unauthenticated requests as the service does.
async fn refuse_unsigned(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/coverage/list"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-amzn-ErrorType", "MissingAuthenticationTokenException")
                .set_body_json(json!({"message": "Missing Authentication Token"})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn first_invocation_reuses_the_connection_opened_at_init() {
    let server = stand_in().await;
    refuse_unsigned(&server).await;
    let (endpoint, accepted) = counting_relay(*server.address()).await;
    let app = app_at(&endpoint, vec![Service::Inspector2], Duration::from_secs(2)).await;

    let opened = app.preconnect().await;
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].service, Service::Inspector2);
    assert_eq!(opened[0].error, None, "a 403 answer still means connected");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    let response = app
        .handle(event(load_event("http-start-scan.json")))
        .await
        .unwrap();
    assert_eq!(response["statusCode"], 202, "{response}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "the scan went over the pre-opened connection"
    );

    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    let warm_up = &reqs[0];
    assert_eq!(warm_up.url.path(), "/coverage/list");
    for name in STRIPPED_HEADERS {
        assert_eq!(req_header(warm_up, name), None, "{name} was sent");
    }
    let scan = &reqs[1];
    assert_eq!(scan.url.path(), "/codesecurity/scan/start");
    assert!(req_header(scan, "authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256")));
    assert_eq!(
        req_header(scan, "x-amz-security-token"),
        Some("test-session-token")
    );
}

#[tokio::test]
async fn both_endpoints_can_be_opened() {
    let server = stand_in().await;
    refuse_unsigned(&server).await;
    let app = app_at(
        &server.uri(),
        vec![Service::Inspector2, Service::Inspector],
        Duration::from_secs(2),
    )
    .await;
    let opened = app.preconnect().await;
    let services: Vec<_> = opened.iter().map(|o| o.service).collect();
    assert_eq!(services, [Service::Inspector2, Service::Inspector]);
    assert!(opened.iter().all(|o| o.error.is_none()), "{opened:?}");
    let reqs = requests(&server).await;
    assert_eq!(reqs.len(), 2);
    let classic = reqs
        .iter()
        .find(|r| req_header(r, "x-amz-target").is_some())
        .expect("a Classic request");
    assert_eq!(
        req_header(classic, "x-amz-target"),
        Some("InspectorService.ListAssessmentTemplates")
    );
    assert!(
        reqs.iter()
            .all(|r| req_header(r, "authorization").is_none())
    );
}

#[tokio::test]
async fn an_endpoint_that_never_answers_costs_at_most_the_budget() {
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = app_at(
        &format!("http://{address}"),
        vec![Service::Inspector2],
        Duration::from_millis(300),
    )
    .await;
    let started = std::time::Instant::now();
    let opened = tokio::time::timeout(Duration::from_secs(20), app.preconnect())
        .await
        .expect("preconnect is bounded");
    let took = started.elapsed();
    assert_eq!(opened.len(), 1);
    let error = opened[0].error.as_deref().expect("an error is reported");
    assert!(
        error.contains("timeout") || error.contains("timed out"),
        "{error}"
    );
    // At least the budget (it waited), and not much more: well under the
    // ten times the budget a budget-ignoring or retrying warm-up would take.
    assert!(opened[0].elapsed >= Duration::from_millis(300));
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    assert!(opened[0].elapsed <= took);
}

#[tokio::test]
async fn nothing_is_opened_when_switched_off_or_in_a_dry_run() {
    let server = stand_in().await;
    let off = app_at(&server.uri(), Vec::new(), Duration::from_secs(1)).await;
    assert!(off.preconnect().await.is_empty());
    let dry = App::new(
        {
            let mut s = Settings {
                dry_run: true,
                ..crate::common::settings()
            };
            s.preconnect.services = vec![Service::Inspector2];
            s
        },
        None,
    );
    assert!(dry.preconnect().await.is_empty());
    assert!(requests(&server).await.is_empty());
}
