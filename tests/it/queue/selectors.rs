//! Sweeps by selector against moto's SQS (the FIFO sweep queue and the
//! work queue) and the paged Inspector stand-in (`common::estate`): a
//! selector answered at once, expanded page by page through the sweep
//! queue by an in-process event source mapping, each project touched once
//! across redeliveries, a name prefix and a provider selecting a subset,
//! 1,200 associations undone in calls of at most 25 past the deadline, a
//! configuration associated with every covered project, the allow-list
//! refusing a selector before anything is listed; the sweeps' log lines and
//! records read back.
//!
//! Needs `MOTO_SERVER`: run by scripts/check-queue.

use crate::common;

use common::estate::Estate;
use common::queue::*;
use common::*;
use inspector_scan_router::{App, Settings};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use wiremock::MockServer;

const OTHER_ARN: &str = "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/codesecurity-configuration/8d2f3e4a-5b6c-7d8e-9f0a-1b2c3d4e5f6a";

struct Wiring {
    work: String,
    sweep: String,
    sweep_dlq: String,
}

async fn wire(moto: &Moto) -> Wiring {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let sqs = moto.client().await;
    let (work, _) = create_queue(&sqs, "work", None).await;
    let fifo = |name: &str| {
        sqs.create_queue()
            .queue_name(name)
            .attributes(A::FifoQueue, "true")
            .attributes(A::VisibilityTimeout, "180")
    };
    let sweep_dlq = fifo("sweep-dlq.fifo")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&sweep_dlq)
        .attribute_names(A::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&A::QueueArn]
        .clone();
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}).to_string();
    let sweep = fifo("sweep.fifo")
        .attributes(A::RedrivePolicy, redrive)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    Wiring {
        work,
        sweep,
        sweep_dlq,
    }
}

fn settings(w: &Wiring) -> Settings {
    let mut s = common::settings();
    s.batch.item_retry_rounds = 0;
    s.batch.concurrency = 4;
    s.queue.url = Some(w.work.clone());
    s.queue.sweep_url = Some(w.sweep.clone());
    s
}

async fn app(inspector: &MockServer, moto: &Moto, w: &Wiring, s: Settings) -> Arc<App> {
    Arc::new(
        live_app_with(inspector, s, 2)
            .await
            .with_queue_sdk(&moto.sdk().await, &w.work),
    )
}

/// Lambda's two mappings, until both queues are empty: the sweep queue
/// (`consumers` pollers), then the work queue (work left unfinished).
async fn drain_all(moto: &Moto, w: &Wiring, app: &Arc<App>, mapping: Mapping) -> Drained {
    let sqs = moto.client().await;
    let mut sweep = Drained::default();
    for _ in 0..20 {
        let d = drain_with(&sqs, &w.sweep, vec![app.clone(); 2], mapping).await;
        sweep.batches += d.batches;
        sweep.received += d.received;
        sweep.retried += d.retried;
        drain_with(&sqs, &w.work, vec![app.clone()], mapping).await;
        if depth(&sqs, &w.sweep).await == 0 && depth(&sqs, &w.work).await == 0 {
            return sweep;
        }
    }
    panic!("the queues did not drain");
}

/// An EventBridge command: `detail-type` the operation, `detail` the body.
fn command(id: &str, operation: &str, detail: Value) -> Value {
    let mut e = load_event("eventbridge-disassociate.json");
    e["id"] = id.into();
    e["detail-type"] = operation.into();
    e["detail"] = detail;
    e
}

fn once_each(counts: &HashMap<String, usize>, expected: &BTreeSet<String>, what: &str) {
    let got: BTreeSet<String> = counts.keys().cloned().collect();
    assert_eq!(&got, expected, "{what}: the projects touched");
    let more: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(more.is_empty(), "{what}: touched more than once: {more:?}");
}

fn ids(range: impl Iterator<Item = usize>) -> BTreeSet<String> {
    range.map(project).collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn every_covered_project_is_scanned_once_across_a_redelivery() {
    let moto = Moto::start().await;
    let w = wire(&moto).await;
    let estate = Estate::new(250, CONFIG_ARN, 0);
    let inspector = estate.serve().await;
    let app = app(&inspector, &moto, &w, settings(&w)).await;

    let sweep = command(
        "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
        "StartCodeSecurityScan",
        json!({"select": {"covered": {}}}),
    );
    // EventBridge delivers the command twice.
    for _ in 0..2 {
        let answer = app.handle(event(sweep.clone())).await.unwrap();
        assert_eq!(answer["sweep"], "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b");
        assert_eq!(answer["action"], "StartCodeSecurityScan");
    }
    assert_eq!(estate.calls(), 0, "nothing listed on the caller's time");
    drain_all(&moto, &w, &app, Mapping::default()).await;
    let scans = estate.scans_per_project();
    once_each(&scans, &ids(0..250), "scans");
    let starts: usize = estate.state.lock().unwrap().starts.values().sum();
    assert_eq!(
        starts, 250,
        "the second delivery was dropped by the sweep queue"
    );
    assert_eq!(estate.listings(), 2, "250 projects in pages of 200");

    // Delivered again after SQS has forgotten it (here: a sweep queue with
    // no memory of it): every project is sent again, and its scan's token
    // is the same, so Inspector starts none twice.
    let w2 = Wiring {
        sweep: create_fifo(&moto, "sweep-2.fifo").await,
        ..w
    };
    let app2 = self::app(&inspector, &moto, &w2, settings(&w2)).await;
    app2.handle(event(sweep)).await.unwrap();
    drain_all(&moto, &w2, &app2, Mapping::default()).await;
    once_each(&estate.scans_per_project(), &ids(0..250), "scans");
    let starts: usize = estate.state.lock().unwrap().starts.values().sum();
    assert_eq!(
        starts, 500,
        "each project's start sent again, with its token"
    );
    let sqs = moto.client().await;
    assert_eq!(depth(&sqs, &w2.sweep_dlq).await, 0);
}

async fn create_fifo(moto: &Moto, name: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    moto.client()
        .await
        .create_queue()
        .queue_name(name)
        .attributes(A::FifoQueue, "true")
        .attributes(A::VisibilityTimeout, "180")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_name_prefix_and_a_provider_select_a_subset() {
    let (logs, _turn) = common::logs::Logs::capture().await;
    let moto = Moto::start().await;
    let w = wire(&moto).await;
    let estate = Estate::new(300, CONFIG_ARN, 0);
    let inspector = estate.serve().await;
    let app = app(&inspector, &moto, &w, settings(&w)).await;

    let direct = json!({"action": "StartCodeSecurityScan", "idempotencyKey": "rescan-payments-1",
        "select": {"covered": {"projectNamePrefix": "payments/"}}});
    let answer = app.handle(event(direct)).await.unwrap();
    assert_eq!(answer["sweep"], "rescan-payments-1");
    let github = json!({"action": "StartCodeSecurityScan", "idempotencyKey": "rescan-payments-2",
        "select": {"covered": {"projectNamePrefix": "payments/", "providerType": "GITHUB"}}});
    app.handle(event(github)).await.unwrap();
    drain_all(&moto, &w, &app, Mapping::default()).await;

    // 300 listed in 2 pages, every third payments/; GitHub's are the even ones.
    lines_say(&logs, "rescan-payments-1", 2, 300, 100);
    lines_say(&logs, "rescan-payments-2", 1, 150, 50);
    let batches: Vec<Value> = logs
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["message"] == "invocation" && l["trigger"] == "sqs")
        .collect();
    assert!(batches.iter().all(|r| r["queue"] == "sweep"), "{batches:?}");
    assert_eq!(sum(&batches, "selected"), 150);
    assert_eq!(sum(&batches, "finished_items"), 150);

    let scans = estate.scans_per_project();
    let payments = ids((0..300).filter(|i| i % 3 == 0));
    let got: BTreeSet<String> = scans.keys().cloned().collect();
    assert_eq!(got, payments, "only payments/ projects");
    for (id, n) in &scans {
        let i = (0..300).find(|i| project(*i) == *id).unwrap();
        // Two sweeps (two keys): GitHub's payments projects twice.
        let expected = if i % 2 == 0 { 2 } else { 1 };
        assert_eq!(*n, expected, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn all_1200_projects_of_a_configuration_are_disassociated_once_in_calls_of_25() {
    let moto = Moto::start().await;
    let w = wire(&moto).await;
    let mut estate = Estate::new(0, CONFIG_ARN, 1200);
    // Listing pages take time: an invocation's deadline cuts the expansion,
    // which goes on from its page token in a new message.
    estate.delay = Duration::from_millis(60);
    let inspector = estate.serve().await;
    let mut s = settings(&w);
    s.deadline_margin = Duration::from_millis(100);
    let app = app(&inspector, &moto, &w, s).await;

    let detach = command(
        "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c",
        "BatchDisassociateCodeSecurityScanConfiguration",
        json!({"scanConfigurationArn": CONFIG_ARN, "select": {"associatedWith": CONFIG_ARN}}),
    );
    app.handle(event(detach)).await.unwrap();
    let mapping = Mapping {
        keep_visibility: false,
        timeout: Some(Duration::from_millis(600)),
        quiet: None,
    };
    let drained = drain_all(&moto, &w, &app, mapping).await;
    once_each(&estate.sent("disassociate"), &ids(0..1200), "disassociated");
    let calls = estate.state.lock().unwrap().batch_calls.clone();
    assert!(calls.iter().all(|n| *n <= 25), "{calls:?}");
    assert_eq!(calls.iter().sum::<usize>(), 1200);
    assert!(estate.associated(CONFIG_ARN).is_empty());
    // 1 sweep + 48 work messages, plus the messages the deadline made.
    assert!(
        drained.received > 49,
        "the expansion was cut and went on: {drained:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_configuration_is_associated_with_every_covered_project() {
    let moto = Moto::start().await;
    let w = wire(&moto).await;
    let estate = Estate::new(260, CONFIG_ARN, 0);
    let inspector = estate.serve().await;
    let app = app(&inspector, &moto, &w, settings(&w)).await;

    let onboard = json!({"action": "BatchAssociateCodeSecurityScanConfiguration",
        "scanConfigurationArn": OTHER_ARN, "select": {"covered": {}}});
    // A direct invocation retried with the same request id: one sweep.
    for _ in 0..2 {
        app.handle(event_with_request_id(onboard.clone(), "invoke-1"))
            .await
            .unwrap();
    }
    drain_all(&moto, &w, &app, Mapping::default()).await;
    once_each(&estate.sent("associate"), &ids(0..260), "associated");
    assert_eq!(estate.associated(OTHER_ARN), ids(0..260));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn the_allow_list_refuses_a_selector_before_anything_is_listed() {
    let moto = Moto::start().await;
    let w = wire(&moto).await;
    let estate = Estate::new(50, CONFIG_ARN, 50);
    let inspector = estate.serve().await;
    let mut s = settings(&w);
    s.trust.allowed_scan_configuration_arns = Some(vec![CONFIG_ARN.to_string()]);
    let app = app(&inspector, &moto, &w, s).await;

    for (detail, field) in [
        (
            json!({"scanConfigurationArn": OTHER_ARN, "select": {"covered": {}}}),
            "detail.scanConfigurationArn",
        ),
        (
            json!({"scanConfigurationArn": CONFIG_ARN, "select": {"associatedWith": OTHER_ARN}}),
            "detail.select.associatedWith",
        ),
    ] {
        let e = app
            .handle(event(command(
                "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
                "BatchAssociateCodeSecurityScanConfiguration",
                detail,
            )))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "Forbidden");
        assert!(format!("{e:?}").contains(field), "{e:?}");
    }
    let sqs = moto.client().await;
    assert_eq!(depth(&sqs, &w.sweep).await, 0, "nothing queued");
    assert_eq!(estate.calls(), 0, "nothing listed");
    // Inside the list, the same sweep runs.
    app.handle(event(command(
        "8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e",
        "BatchAssociateCodeSecurityScanConfiguration",
        json!({"scanConfigurationArn": CONFIG_ARN, "select": {"covered": {}}}),
    )))
    .await
    .unwrap();
    drain_all(&moto, &w, &app, Mapping::default()).await;
    assert_eq!(estate.sent("associate").len(), 50);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn an_http_selector_is_answered_at_once_with_its_key() {
    let moto = Moto::start().await;
    let w = wire(&moto).await;
    let estate = Estate::new(120, CONFIG_ARN, 0);
    let inspector = estate.serve().await;
    let app = app(&inspector, &moto, &w, settings(&w)).await;

    let mut http = load_event("http-start-scan.json");
    http["body"] = json!({"select": {"covered": {}}}).to_string().into();
    http["headers"]["idempotency-key"] = "weekly-2026-49".into();
    for _ in 0..2 {
        let answer = app.handle(event(http.clone())).await.unwrap();
        assert_eq!(answer["statusCode"], 202, "{answer}");
        let body = http_body(&answer);
        assert_eq!(body["sweep"], "weekly-2026-49");
        assert_eq!(body["select"], json!({"covered": {}}));
    }
    assert_eq!(estate.calls(), 0, "answered before anything was listed");
    let sqs = moto.client().await;
    assert_eq!(
        depth(&sqs, &w.sweep).await,
        1,
        "one sweep, the retry dropped"
    );
    drain_all(&moto, &w, &app, Mapping::default()).await;
    once_each(&estate.scans_per_project(), &ids(0..120), "scans");
}

/// The numbers log lines carry, summed over lines.
fn sum(lines: &[Value], field: &str) -> u64 {
    lines.iter().filter_map(|l| l[field].as_u64()).sum()
}

/// What the sweeps' log lines and invocation records say, read back: the
/// trigger's record names the sweep, each sweep line its pages, listed,
/// selected and queued counts, and the sweep queue's batch records add up
/// to what was selected, queued and finished.
fn lines_say(logs: &common::logs::Logs, key: &str, pages: u64, listed: u64, selected: u64) {
    let lines: Vec<Value> = logs
        .text()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of = |message: &str, sweep: Option<&str>| -> Vec<Value> {
        lines
            .iter()
            .filter(|l| l["message"] == message)
            .filter(|l| sweep.is_none_or(|k| l["sweep"] == k))
            .cloned()
            .collect()
    };
    let trigger = &of("invocation", Some(key))[0];
    assert_eq!(
        (&trigger["trigger"], &trigger["outcome"]),
        (&json!("direct"), &json!("queued")),
        "{trigger}"
    );
    let sweeps = of("sweep", Some(key));
    assert_eq!(sum(&sweeps, "pages"), pages, "{key}: {sweeps:?}");
    assert_eq!(sum(&sweeps, "listed"), listed, "{key}");
    assert_eq!(sum(&sweeps, "selected"), selected, "{key}");
    // Each page's work in messages of at most 25 projects.
    assert!(sum(&sweeps, "queued_messages") >= selected.div_ceil(25));
    assert_eq!(sweeps.last().unwrap()["outcome"], "finished", "{key}");
    let work = of("message", Some(key));
    assert_eq!(sum(&work, "finished_items"), selected, "{key}: each once");
}
