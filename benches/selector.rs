//! A sweep by selector at Inspector's quota: "detach this configuration
//! from every project associated with it", `PROJECTS` projects (default:
//! 2,500 and then 100,000), against the paged Inspector stand-in
//! (tests/common/estate.rs) that allows `QUOTA` calls a second across every
//! operation, listings included (a token bucket with a burst of one
//! second's calls), and answers each call after 50 ms. One command starts
//! the sweep; `CONSUMERS` function environments (each its own pacer) drain
//! the sweep queue and the work queue the way the event source mappings do
//! (batches of 10, a 30 s deadline per invocation, a 180 s visibility
//! timeout). The queues are the tests' in-process SQS (no FIFO ordering or
//! deduplication: throughput only; moto's FIFO queue has the tests).
//!
//! Reported: wall time against the quota-limited ideal (listing calls plus
//! batch calls, ÷ quota), the calls of each kind, the share throttled, and
//! projects disassociated once, more than once, or never.
//! `cargo bench --bench selector`.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use common::estate::Estate;
use common::queue::{Mapping, depth, drain_with};
use common::sqs::SqsStandIn;
use common::{CONFIG_ARN, event_with_deadline, live_app_with, sdk_config};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LATENCY: Duration = Duration::from_millis(50);
const TIMEOUT: Duration = Duration::from_secs(30);
const VISIBILITY: Duration = Duration::from_secs(180);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn sweep(projects: usize, quota: usize, consumers: usize) -> serde_json::Value {
    let estate = Estate::new(0, CONFIG_ARN, projects).with_quota(quota as f64, LATENCY);
    let inspector = estate.serve().await;
    let sqs = SqsStandIn::start().await.with_visibility(VISIBILITY);
    let dlq = sqs.queue("work-dlq", None);
    let work = sqs.queue("work", Some(("work-dlq", 5)));
    let sweep_dlq = sqs.queue("sweep-dlq.fifo", None);
    let sweeps = sqs.queue("sweep.fifo", Some(("sweep-dlq.fifo", 5)));
    let settings = || {
        let mut s = crate::common::settings();
        s.queue.url = Some(work.clone());
        s.queue.dead_letter_url = Some(dlq.clone());
        s.queue.sweep_url = Some(sweeps.clone());
        s
    };
    let sqs_sdk = sdk_config(&sqs.server.uri(), 3).await;
    let app = |s| async {
        Arc::new(
            live_app_with(&inspector, s, 3)
                .await
                .with_queue_sdk(&sqs_sdk, &work),
        )
    };
    let client = aws_sdk_sqs::Client::new(&sqs_sdk);

    let started = Instant::now();
    let command = json!({"action": "BatchDisassociateCodeSecurityScanConfiguration",
        "scanConfigurationArn": CONFIG_ARN, "select": {"associatedWith": CONFIG_ARN}});
    let producer = app(settings()).await;
    let answer = producer
        .handle(event_with_deadline(command, "producer", TIMEOUT))
        .await
        .unwrap();
    let answered = started.elapsed();
    let mut apps = Vec::new();
    for _ in 0..consumers {
        apps.push(app(settings()).await);
    }
    let mapping = Mapping {
        keep_visibility: true,
        timeout: Some(TIMEOUT),
        quiet: None,
    };
    let (mut batches, mut received, mut retried) = (0, 0, 0);
    loop {
        // Both mappings at once, as Lambda runs them.
        let (s, w) = futures::join!(
            drain_with(&client, &sweeps, apps.clone(), mapping),
            drain_with(&client, &work, apps.clone(), mapping)
        );
        for d in [s, w] {
            batches += d.batches;
            received += d.received;
            retried += d.retried;
        }
        if depth(&client, &sweeps).await == 0 && depth(&client, &work).await == 0 {
            break;
        }
    }
    let wall = started.elapsed();
    let dead_lettered = depth(&client, &dlq).await + depth(&client, &sweep_dlq).await;
    let st = estate.state.lock().unwrap();
    let batch_calls = st.batch_calls.len();
    let calls = st.listings + batch_calls + st.throttled;
    let sent = estate_sent(&st);
    let once = sent.values().filter(|n| **n == 1).count();
    let more = sent.values().filter(|n| **n > 1).count();
    let ideal_calls = projects.div_ceil(100) + projects.div_ceil(25);
    let ideal = ideal_calls as f64 / quota as f64;
    json!({
        "what": "selector sweep (associatedWith, disassociate)", "projects": projects,
        "quota_per_second": quota, "consumers": consumers,
        "wall_s": wall.as_secs_f64(), "ideal_s": ideal, "ratio": wall.as_secs_f64() / ideal,
        "answered_s": answered.as_secs_f64(), "answer": answer,
        "listing_calls": st.listings, "batch_calls": batch_calls,
        "ideal_calls": ideal_calls, "throttled": st.throttled,
        "throttled_share": st.throttled as f64 / calls as f64,
        "batches": batches, "messages_received": received, "batch_item_failures": retried,
        "dead_lettered_messages": dead_lettered,
        "disassociated_once": once, "disassociated_more_than_once": more,
        "never": projects - sent.len(), "left_associated": st.associations[CONFIG_ARN].len(),
    })
}

fn estate_sent(st: &common::estate::EstateState) -> std::collections::HashMap<String, usize> {
    st.sent
        .iter()
        .filter(|((d, _), _)| *d == "disassociate")
        .map(|((_, id), n)| (id.clone(), *n))
        .collect()
}

fn main() {
    let quota = env("QUOTA", 10);
    let consumers = env("CONSUMERS", 4);
    let sizes: Vec<usize> = match std::env::var("PROJECTS") {
        Ok(v) => v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => vec![2_500, 100_000],
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for projects in sizes {
            println!("{}", sweep(projects, quota, consumers).await);
        }
    });
}
