//! Quota protected: a repository name just found unknown costs no further
//! ListCoverage call for a minute (`ResolveSettings::negative_ttl`), so a stream of
//! made-up names cannot spend Inspector's quota.

use crate::common;

use common::*;
use serde_json::json;
use std::time::Duration;
use wiremock::ResponseTemplate;

const COVERAGE_PATH: &str = "/coverage/list";

#[tokio::test]
async fn an_unknown_repository_is_remembered_for_a_short_bounded_time() {
    let server = serving(
        COVERAGE_PATH,
        ResponseTemplate::new(200).set_body_json(json!({"coveredResources": []})),
    )
    .await;
    let coverage_calls = || async {
        requests(&server)
            .await
            .iter()
            .filter(|r| r.url.path() == COVERAGE_PATH)
            .count()
    };
    let scan = |repository: &str| {
        event(json!({"action": "StartCodeSecurityScan", "repository": repository}))
    };
    let mut s = common::settings();
    s.resolve.negative_ttl = Duration::from_millis(300);
    let app = live_app_with(&server, s, 1).await;

    let e = app.handle(scan("octo-org/made-up")).await.unwrap_err();
    assert_eq!(e.code(), "RepositoryNotFound");
    assert_eq!(
        coverage_calls().await,
        2,
        "the bare name, then the full path"
    );
    // Asked again at once: answered from memory, no call.
    for _ in 0..5 {
        let e = app.handle(scan("octo-org/made-up")).await.unwrap_err();
        assert_eq!(e.code(), "RepositoryNotFound");
    }
    assert_eq!(
        coverage_calls().await,
        2,
        "no ListCoverage for a name just found unknown"
    );
    // Another name is looked up; the first, once its time is past, again.
    app.handle(scan("octo-org/other")).await.unwrap_err();
    assert_eq!(coverage_calls().await, 4);
    tokio::time::sleep(Duration::from_millis(350)).await;
    app.handle(scan("octo-org/made-up")).await.unwrap_err();
    assert_eq!(
        coverage_calls().await,
        6,
        "remembered for a short time only"
    );

    // Zero: not remembered.
    let mut s = common::settings();
    s.resolve.negative_ttl = Duration::ZERO;
    let server2 = serving(
        COVERAGE_PATH,
        ResponseTemplate::new(200).set_body_json(json!({"coveredResources": []})),
    )
    .await;
    let app = live_app_with(&server2, s, 1).await;
    for _ in 0..2 {
        app.handle(scan("made-up")).await.unwrap_err();
    }
    assert_eq!(requests(&server2).await.len(), 2);
}
