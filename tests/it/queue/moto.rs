//! The work queue against a real SQS implementation on the machine: moto in
//! server mode, through the real aws-sdk-sqs. Messages sent by the
//! function, received and handed back to it as SQS events in Lambda's shape
//! by an in-process event source mapping (tests/common/queue.rs), partial
//! batch responses, SQS redelivery, redrive to the dead-letter queue, and
//! 100,000 items from one event drained by concurrent consumers.
//!
//! Needs `MOTO_SERVER` (moto_server from .venv-moto): run by
//! scripts/check-queue after scripts/setup, hence ignored in a plain
//! `cargo test`.

use crate::common;

use common::queue::*;
use common::stateful::stateful_stand_in;
use common::*;
use inspector_scan_router::domain::keys::{derive_token, scoped_base};
use inspector_scan_router::{App, Settings};

use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use wiremock::MockServer;

fn settings(url: &str) -> Settings {
    let mut s = crate::common::settings();
    s.batch.item_retry_rounds = 0;
    s.batch.concurrency = 4;
    s.queue.url = Some(url.into());
    s.queue.inline_max_items = 100;
    s
}

async fn app(inspector: &MockServer, moto: &Moto, url: &str, s: Settings) -> App {
    live_app_with(inspector, s, 2)
        .await
        .with_queue_sdk(&moto.sdk().await, url)
}

/// A work queue and its dead-letter queue: `(url, dead-letter url)`.
async fn queues(sqs: &aws_sdk_sqs::Client, max_receive_count: u32) -> (String, String) {
    let (dlq_url, dlq_arn) = create_queue(sqs, "work-dlq", None).await;
    let (url, _) = create_queue(sqs, "work", Some((&dlq_arn, max_receive_count))).await;
    (url, dlq_url)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_large_fan_out_is_sent_as_messages_and_drained() {
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    let (url, dlq) = queues(&sqs, 5).await;
    let script = Disassociation::default();
    let inspector = script.serve().await;
    let app = Arc::new(app(&inspector, &moto, &url, settings(&url)).await);

    let answer = app.handle(event(direct_disassociate(260))).await.unwrap();
    assert_eq!(
        (answer["queued"].as_u64(), answer["messages"].as_u64()),
        (Some(260), Some(11))
    );
    assert_eq!(depth(&sqs, &url).await, 11, "eleven messages in the queue");
    assert!(requests(&inspector).await.is_empty(), "nothing ran inline");

    let drained = drain(&sqs, &url, app, 2).await;
    assert_eq!((drained.received, drained.retried), (11, 0));
    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 260);
    assert!(answered.values().all(|n| *n == 1));
    assert_eq!(depth(&sqs, &url).await + depth(&sqs, &dlq).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_redelivered_message_starts_no_scan_twice() {
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    let (url, _) = queues(&sqs, 5).await;
    let (inspector, state) = stateful_stand_in(HashMap::new()).await;
    let mut s = settings(&url);
    s.queue.inline_max_items = 10;
    let app = app(&inspector, &moto, &url, s).await;
    let projects: Vec<String> = (0..30).map(project).collect();
    let answer = app
        .handle(event(
            json!({"action": "StartCodeSecurityScan", "projectIds": projects,
                             "idempotencyKey": "deploy-9"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        (answer["queued"].as_u64(), answer["messages"].as_u64()),
        (Some(30), Some(2))
    );

    // Each message handled, left undeleted, received again (SQS's
    // redelivery: same messageId, ApproximateReceiveCount 2) and handled again.
    let mut received = Vec::new();
    for round in 1..=2 {
        let got = receive(&sqs, &url).await;
        assert_eq!(got.len(), 2, "round {round}");
        let batch: Vec<(String, String, u32)> = got
            .iter()
            .map(|m| {
                (
                    m.message_id.clone().unwrap(),
                    m.body.clone().unwrap(),
                    round,
                )
            })
            .collect();
        let answer = app.handle(event(sqs_event(&batch))).await.unwrap();
        assert_eq!(failed_ids(&answer), Vec::<String>::new());
        received.push(batch.into_iter().map(|m| m.0).collect::<BTreeSet<_>>());
        for m in got {
            sqs.change_message_visibility()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle.unwrap())
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(
        received[0], received[1],
        "the same messages, delivered twice"
    );
    let tokens: BTreeSet<String> = state.state.lock().unwrap().scans.keys().cloned().collect();
    let base = scoped_base("direct", "deploy-9");
    let expected: BTreeSet<String> = (0..30).map(|i| derive_token(&base, &project(i))).collect();
    assert_eq!(
        tokens, expected,
        "one scan per project, with the original event's token"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_poison_message_ends_in_the_dead_letter_queue() {
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    let (url, dlq) = queues(&sqs, 2).await;
    let script = Disassociation::default();
    let inspector = script.serve().await;
    let app = Arc::new(app(&inspector, &moto, &url, settings(&url)).await);
    for body in [
        "{\"action\": \"BatchDisassociateCodeSecurityScanConfiguration\"".to_string(),
        direct_disassociate(3).to_string(),
    ] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let drained = drain(&sqs, &url, app, 1).await;
    assert_eq!(drained.retried, 2, "failed at each of its 2 receives");
    assert_eq!(
        take_all(&sqs, &dlq).await,
        ["{\"action\": \"BatchDisassociateCodeSecurityScanConfiguration\""]
    );
    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 3, "the valid message was done beside it");
    assert!(answered.values().all(|n| *n == 1));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn items_from_one_event_drained_through_moto_each_answered_once() {
    // The end-to-end scenario of queue::end_to_end, at a size moto's SQS
    // handles quickly (its time per message grows with the queue's depth).
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    let (url, dlq) = queues(&sqs, 5).await;
    end_to_end(2_500, &moto.sdk().await, &url, &dlq, 3).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn an_association_past_one_invocation_goes_through_the_queue_once_per_item() {
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    let (url, _dlq) = queues(&sqs, 5).await;
    let (op, field, at, _) = DIRECTIONS[0];
    let script = Disassociation {
        flaky: vec![project(7), project(123)],
        ..Disassociation::default()
    };
    let inspector = script.serve_at(at).await;
    let mut s = settings(&url);
    s.queue.inline_max_items = 100;
    let producer = app(&inspector, &moto, &url, s.clone()).await;
    let answer = producer
        .handle(event(direct_batch(op, field, 300)))
        .await
        .unwrap();
    assert_eq!(answer["queued"], 300, "queued whole: {answer}");
    let apps = vec![
        Arc::new(app(&inspector, &moto, &url, s.clone()).await),
        Arc::new(app(&inspector, &moto, &url, s).await),
    ];
    // Items failed once with INTERNAL_ERROR come back after a delay.
    let mapping = Mapping {
        quiet: Some(std::time::Duration::from_millis(2500)),
        ..Mapping::default()
    };
    drain_with(&sqs, &url, apps, mapping).await;
    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 300, "every item associated");
    assert!(answered.values().all(|n| *n == 1), "each item once");
    assert!(
        script.calls().iter().all(|c| c.len() <= 25),
        "calls of at most 25"
    );
    let requested = requests(&inspector).await;
    assert!(
        requested.iter().all(|r| r.url.path() == at),
        "only association calls"
    );
}

// ---- sweeps at the service's pace -----------------------------------------

/// Settings of one function environment of a paced sweep.
fn paced(url: &str, dlq: &str, items: usize) -> Settings {
    let mut s = crate::common::settings();
    s.limits.max_batch_items = items;
    s.queue.url = Some(url.into());
    s.queue.dead_letter_url = Some(dlq.into());
    s.queue.inline_max_items = 100;
    // Short delays: the test waits them out in real time.
    s.queue.retry_delay = std::time::Duration::from_secs(1);
    s.queue.retry_delay_max = std::time::Duration::from_secs(2);
    s
}

/// `consumers` environments, each a cold start of its own (its own pacer).
async fn environments(
    inspector: &MockServer,
    moto: &Moto,
    url: &str,
    s: &Settings,
    consumers: usize,
) -> Vec<Arc<App>> {
    let mut apps = Vec::new();
    for _ in 0..consumers {
        apps.push(Arc::new(app(inspector, moto, url, s.clone()).await));
    }
    apps
}

const SWEEP: Mapping = Mapping {
    keep_visibility: true,
    timeout: Some(std::time::Duration::from_secs(30)),
    // Work sent back later carries a delay of up to 2 s (`paced`).
    quiet: Some(std::time::Duration::from_millis(2500)),
};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn a_sweep_at_a_quota_is_paced_not_throttled() {
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    let (url, dlq) = queues(&sqs, 5).await;
    let n = 5_000;
    let quota = TokenBucket::new(20.0, 20.0);
    let script = Disassociation {
        delay: std::time::Duration::from_millis(50),
        quota: Some(quota.clone()),
        ..Disassociation::default()
    };
    let inspector = script.serve().await;
    let s = paced(&url, &dlq, n);
    let producer = app(&inspector, &moto, &url, s.clone()).await;
    let answer = producer
        .handle(event(direct_disassociate(n)))
        .await
        .unwrap();
    assert_eq!(answer["queued"], n, "queued whole");
    let apps = environments(&inspector, &moto, &url, &s, 4).await;
    drain_with(&sqs, &url, apps, SWEEP).await;

    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), n, "every item answered");
    assert!(answered.values().all(|k| *k == 1), "each exactly once");
    assert_eq!(depth(&sqs, &dlq).await, 0, "nothing dead-lettered");
    let (calls, throttled) = (script.calls().len(), quota.throttled());
    eprintln!("{throttled} of {calls} calls throttled");
    assert!(
        (throttled as f64) < 0.10 * calls as f64,
        "{throttled} of {calls} calls throttled"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn work_throttled_ten_times_in_a_row_still_finishes_and_is_never_dead_lettered() {
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    // One receive before redrive: if throttling used receives, the first
    // throttle would move the message to the dead-letter queue.
    let (url, dlq) = queues(&sqs, 1).await;
    let script = Disassociation {
        throttle: HashMap::from([(project(3), 10)]),
        ..Disassociation::default()
    };
    let inspector = script.serve().await;
    let mut s = paced(&url, &dlq, 200);
    s.queue.retry_delay = std::time::Duration::from_secs(1);
    s.queue.retry_delay_max = std::time::Duration::from_secs(1);
    // One send per message: each throttle sends the work back to the queue.
    let app = Arc::new(
        live_app_with(&inspector, s, 1)
            .await
            .with_queue_sdk(&moto.sdk().await, &url),
    );
    let answer = app.handle(event(direct_disassociate(200))).await.unwrap();
    assert_eq!(answer["queued"], 200);
    let drained = drain_with(&sqs, &url, vec![app], SWEEP).await;
    assert_eq!(drained.retried, 0, "never named in batchItemFailures");
    assert_eq!(
        script.times_throttled.lock().unwrap()[&project(3)],
        10,
        "throttled ten times"
    );
    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(answered.len(), 200);
    assert!(answered.values().all(|k| *k == 1));
    assert_eq!(depth(&sqs, &dlq).await, 0, "nothing dead-lettered");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs MOTO_SERVER: run scripts/check-queue"]
async fn work_throttled_past_the_retry_window_is_dead_lettered_with_its_record() {
    let (logs, _turn) = common::logs::Logs::capture().await;
    let moto = Moto::start().await;
    let sqs = moto.client().await;
    let (url, dlq) = queues(&sqs, 5).await;
    let script = Disassociation {
        throttle: HashMap::from([(project(30), usize::MAX)]),
        ..Disassociation::default()
    };
    let inspector = script.serve().await;
    let mut s = paced(&url, &dlq, 150);
    s.queue.throttled_retry = std::time::Duration::from_secs(3);
    let app = Arc::new(
        live_app_with(&inspector, s, 1)
            .await
            .with_queue_sdk(&moto.sdk().await, &url),
    );
    app.handle(event(direct_disassociate(150))).await.unwrap();
    let drained = drain_with(&sqs, &url, vec![app], SWEEP).await;
    assert_eq!(drained.retried, 0);
    let answered = script.answered.lock().unwrap().clone();
    assert_eq!(
        answered.len(),
        125,
        "the other five messages' items finished"
    );
    let dead = take_all(&sqs, &dlq).await;
    if dead.len() != 1 {
        for l in logs
            .text()
            .lines()
            .filter(|l| l.contains("\"message\"") || l.contains("dead"))
        {
            eprintln!("{l}");
        }
    }
    assert_eq!(dead.len(), 1, "the throttled message's work, and only it");
    assert!(dead[0].contains(&project(30)), "{}", dead[0]);
    let text = logs.text();
    let record = text
        .lines()
        .find(|l| l.contains("dead-lettered"))
        .expect("a log record for the dead-lettered work");
    assert!(record.contains(&project(30)), "names its items: {record}");
}
