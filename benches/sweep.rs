//! Quota-limited sweeps: `ITEMS` disassociation items (default: 2,500 and
//! then 100,000) from one asynchronous event, against an Inspector
//! stand-in that allows `QUOTA` calls a second (a token bucket with a burst
//! of one second's calls, as AWS enforces its quotas) and answers each call
//! after 50 ms. The function: the producing invocation runs inline, paced,
//! until its 30 s deadline, queues the rest; `CONSUMERS` function
//! environments (each its own pacer) drain the queue the way the event
//! source mapping does (batches of 10, a 30 s deadline per invocation, the
//! template's 180 s visibility timeout). The queue is the tests' in-process
//! SQS reached through the real aws-sdk-sqs.
//!
//! `INLINE` (default: the function's 100,000) forces larger sweeps through
//! the work queue from their first item.
//!
//! Beside it, a sequential loop of the same calls in one process (the SDK's
//! standard retry mode, a throttled call sent again until it succeeds).
//! Reported: wall time against the quota-limited ideal (calls needed ÷
//! quota), the share of calls throttled, items dead-lettered, items
//! answered more than once or never. `cargo bench --bench sweep`.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use common::queue::{Mapping, depth, drain_with};
use common::sqs::SqsStandIn;
use common::{
    CONFIG_ARN, Disassociation, TokenBucket, direct_disassociate, event_with_deadline,
    live_app_with, project, sdk_config,
};
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

fn stand_in(quota: usize) -> Disassociation {
    Disassociation {
        delay: LATENCY,
        quota: Some(TokenBucket::new(quota as f64, quota as f64)),
        ..Disassociation::default()
    }
}

/// (calls, throttled, answered once, answered more than once, never)
fn tally(script: &Disassociation, items: usize) -> (usize, usize, usize, usize, usize) {
    let calls = script.calls().len();
    let throttled = script.quota.as_ref().unwrap().throttled();
    let answered = script.answered.lock().unwrap();
    let once = answered.values().filter(|n| **n == 1).count();
    let more = answered.values().filter(|n| **n > 1).count();
    (calls, throttled, once, more, items - answered.len())
}

async fn function(items: usize, quota: usize, consumers: usize) -> serde_json::Value {
    let script = stand_in(quota);
    let inspector = script.serve().await;
    let sqs = SqsStandIn::start().await.with_visibility(VISIBILITY);
    let dlq = sqs.queue("work-dlq", None);
    let url = sqs.queue("work", Some(("work-dlq", 5)));
    let settings = || {
        let mut s = crate::common::settings();
        s.limits.max_batch_items = items;
        s.queue.url = Some(url.clone());
        s.queue.dead_letter_url = Some(dlq.clone());
        // INLINE: items a fan-out may run inline; larger is queued whole.
        s.queue.inline_max_items = env("INLINE", s.queue.inline_max_items);
        s
    };
    let sqs_sdk = sdk_config(&sqs.server.uri(), 3).await;
    let app = |s| async {
        Arc::new(
            live_app_with(&inspector, s, 3)
                .await
                .with_queue_sdk(&sqs_sdk, &url),
        )
    };
    let client = aws_sdk_sqs::Client::new(&sqs_sdk);

    let started = Instant::now();
    let producer = app(settings()).await;
    let answer = producer
        .handle(event_with_deadline(
            direct_disassociate(items),
            "producer",
            TIMEOUT,
        ))
        .await
        .unwrap();
    let produced = started.elapsed();
    let mut apps = Vec::new();
    for _ in 0..consumers {
        apps.push(app(settings()).await);
    }
    let mapping = Mapping {
        keep_visibility: true,
        timeout: Some(TIMEOUT),
        quiet: None,
    };
    let drained = drain_with(&client, &url, apps, mapping).await;
    let wall = started.elapsed();
    let (calls, throttled, once, more, never) = tally(&script, items);
    let needed = items.div_ceil(25);
    let ideal = needed as f64 / quota as f64;
    json!({
        "what": "function", "items": items, "quota_per_second": quota, "consumers": consumers,
        "wall_s": wall.as_secs_f64(), "ideal_s": ideal, "ratio": wall.as_secs_f64() / ideal,
        "calls": calls, "throttled": throttled,
        "throttled_share": throttled as f64 / calls as f64,
        "producer_s": produced.as_secs_f64(),
        "queued_items": answer["queued"], "batches": drained.batches,
        "messages_received": drained.received, "batch_item_failures": drained.retried,
        "dead_lettered_messages": depth(&client, &dlq).await,
        "answered_once": once, "answered_more_than_once": more, "never_answered": never,
    })
}

/// One process, one call after another, the SDK's standard retry mode (3
/// attempts); a chunk still throttled after them is sent again.
async fn sequential(items: usize, quota: usize) -> serde_json::Value {
    let script = stand_in(quota);
    let inspector = script.serve().await;
    let sdk = sdk_config(&inspector.uri(), 3).await;
    let client = aws_sdk_inspector2::Client::new(&sdk);
    let started = Instant::now();
    let ids: Vec<String> = (0..items).map(project).collect();
    for chunk in ids.chunks(25) {
        let requests: Vec<_> = chunk
            .iter()
            .map(|p| {
                aws_sdk_inspector2::types::DisassociateConfigurationRequest::builder()
                    .scan_configuration_arn(CONFIG_ARN)
                    .resource(aws_sdk_inspector2::types::CodeSecurityResource::ProjectId(
                        p.clone(),
                    ))
                    .build()
                    .unwrap()
            })
            .collect();
        while client
            .batch_disassociate_code_security_scan_configuration()
            .set_disassociate_configuration_requests(Some(requests.clone()))
            .send()
            .await
            .is_err()
        {}
    }
    let wall = started.elapsed();
    let (calls, throttled, once, more, never) = tally(&script, items);
    let ideal = items.div_ceil(25) as f64 / quota as f64;
    json!({
        "what": "sequential loop", "items": items, "quota_per_second": quota,
        "wall_s": wall.as_secs_f64(), "ideal_s": ideal, "ratio": wall.as_secs_f64() / ideal,
        "calls": calls, "throttled": throttled,
        "throttled_share": throttled as f64 / calls as f64,
        "answered_once": once, "answered_more_than_once": more, "never_answered": never,
    })
}

fn main() {
    let quota = env("QUOTA", 10);
    let consumers = env("CONSUMERS", 4);
    let sizes: Vec<usize> = match std::env::var("ITEMS") {
        Ok(v) => v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) => vec![2_500, 100_000],
    };
    let skip_sequential = std::env::var("SKIP_SEQUENTIAL").is_ok();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for items in sizes {
            println!("{}", function(items, quota, consumers).await);
            if !skip_sequential {
                println!("{}", sequential(items, quota).await);
            }
        }
    });
}
