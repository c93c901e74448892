//! 100,000 disassociation items from one asynchronous event, drained
//! through the work queue by four concurrent in-process consumers: every
//! item answered exactly once at the Inspector stand-in, none lost, none
//! doubled (the scenario is `end_to_end` in tests/common/queue.rs). The
//! queue is the in-process SQS of tests/common/sqs.rs, reached through the
//! real aws-sdk-sqs: moto's time per message grows with the queue's depth
//! (queue::moto runs the same scenario against moto at 2,500 items).
//!
//! Ignored in a plain `cargo test` (it takes 20-50 s); scripts/test runs it
//! explicitly.

use crate::common;

use common::queue::end_to_end;
use common::sqs::SqsStandIn;
use common::*;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "the 100,000-item scale: scripts/test runs it"]
async fn one_hundred_thousand_items_through_the_queue_each_answered_once() {
    let sqs = SqsStandIn::start().await;
    sqs.queue("work-dlq", None);
    let url = sqs.queue("work", Some(("work-dlq", 5)));
    let dlq = sqs.url("work-dlq");
    let sdk = sdk_config(&sqs.server.uri(), 3).await;
    end_to_end(100_000, &sdk, &url, &dlq, 4).await;
}
