//! Work queue: 100,000 disassociation items from one event, queued (4,000
//! messages of 25) and drained by `CONSUMERS` in-process consumers (Lambda's
//! event source mapping at MaximumConcurrency = CONSUMERS), each taking
//! batches of 10 messages, against an Inspector stand-in answering each
//! call after 50 ms. The queue is the in-process SQS of the tests
//! (tests/common/sqs.rs), reached through the real aws-sdk-sqs.
//!
//! Ideal: every consumer busy all the time, one call per message, the 10
//! messages of a batch at once (BATCH_CONCURRENCY = 10):
//! ceil(4,000 / (CONSUMERS x 10)) x 50 ms. Reports the wall time of the
//! drain against it, the time to queue, and the calls' observed latency.
//! `cargo bench --bench queue` (CONSUMERS, default 4).

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use common::queue::{depth, drain};
use common::sqs::SqsStandIn;
use common::{Disassociation, direct_disassociate, event, live_app_with, sdk_config};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ITEMS: usize = 100_000;
const LATENCY: Duration = Duration::from_millis(50);
const BATCH: usize = 10;

fn main() {
    let consumers: usize = std::env::var("CONSUMERS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(4);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let script = Disassociation {
            delay: LATENCY,
            ..Disassociation::default()
        };
        let inspector = script.serve().await;
        let sqs = SqsStandIn::start().await;
        sqs.queue("work-dlq", None);
        let url = sqs.queue("work", Some(("work-dlq", 5)));
        let mut s = crate::common::settings();
        s.batch.concurrency = BATCH;
        s.limits.max_batch_items = ITEMS;
        s.queue.url = Some(url.clone());
        let sqs_sdk = sdk_config(&sqs.server.uri(), 3).await;
        let app = Arc::new(
            live_app_with(&inspector, s, 3)
                .await
                .with_queue_sdk(&sqs_sdk, &url),
        );
        let client = aws_sdk_sqs::Client::new(&sqs_sdk);

        let started = Instant::now();
        let answer = app.handle(event(direct_disassociate(ITEMS))).await.unwrap();
        let produced = started.elapsed();
        let messages = answer["messages"].as_u64().unwrap() as usize;
        assert_eq!(depth(&client, &url).await, messages);

        let started = Instant::now();
        let drained = drain(&client, &url, app, consumers).await;
        let wall = started.elapsed();
        let answered = script.answered.lock().unwrap().len();
        assert_eq!(answered, ITEMS, "every item answered");
        let calls = script.calls().len();
        let ideal = LATENCY * messages.div_ceil(consumers * BATCH) as u32;
        // Observed latency: the stand-in's delay plus the way there and back,
        // measured from the drain's calls per consumer.
        let per_call_ms = wall.as_secs_f64() * 1000.0 * (consumers * BATCH) as f64 / calls as f64;
        println!(
            "{}",
            json!({
                "items": ITEMS, "messages": messages, "calls": calls,
                "consumers": consumers, "batch_size": BATCH, "batch_concurrency": BATCH,
                "latency_ms": LATENCY.as_millis() as u64,
                "queue_ms": produced.as_millis() as u64,
                "ideal_ms": ideal.as_millis() as u64,
                "wall_ms": wall.as_millis() as u64,
                "ratio": wall.as_secs_f64() / ideal.as_secs_f64(),
                "effective_ms_per_call_slot": per_call_ms,
                "batches": drained.batches,
            })
        );
    });
}
