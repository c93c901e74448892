//! The sweep queue: a FIFO queue (`SWEEP_QUEUE_URL`) that carries sweeps by
//! selector, their pages and the work each page comes to. Every message's
//! deduplication id is a digest of the sweep's key and the body, so a sweep
//! delivered again (the same event id, the same `Idempotency-Key`) or a
//! page read again after a fault sends nothing twice within SQS's
//! five-minute window. A sweep's pages share one message group (read in
//! order, one at a time); each piece of work is its own group (run side by
//! side).

use super::message;
use super::send::Outgoing;
use crate::domain::keys::digest;

/// A sweep's page (the sweep itself, or where it goes on): in the
/// sweep's own group. `caller` (who asked, when the sweep starts; empty
/// where it goes on) keeps two callers' sweeps under one key apart.
pub fn page(key: &str, caller: &str, body: String, requested: &str) -> Outgoing {
    let group = format!("sweep-{}", &digest(&["sweep", caller, key])[..48]);
    let dedup = digest(&[caller, key, &body]);
    outgoing(key, body, requested, group, dedup)
}

/// A piece of a sweep's work: its own group.
pub fn work(key: &str, body: String, requested: &str) -> Outgoing {
    let group = digest(&["work", key, &body]);
    let dedup = digest(&[key, &body]);
    outgoing(key, body, requested, group, dedup)
}

fn outgoing(key: &str, body: String, requested: &str, group: String, dedup: String) -> Outgoing {
    let attributes = message::work_attributes(key, requested);
    Outgoing {
        body,
        delay_seconds: 0,
        attributes,
        fifo: Some((group, dedup)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_sweep_and_body_and_within_sqs_limits() {
        let a = work("k", "{}".into(), "");
        let b = work("k", "{}".into(), "");
        let c = work("other", "{}".into(), "");
        assert_eq!(a.fifo, b.fifo, "the same work, the same ids");
        assert_ne!(a.fifo, c.fifo, "another sweep's work is its own");
        let p1 = page("k", "", "{\"a\":1}".into(), "");
        let p2 = page("k", "", "{\"a\":2}".into(), "");
        let theirs = page("k", "someone-else", "{\"a\":1}".into(), "");
        assert_ne!(
            p1.fifo, theirs.fifo,
            "another caller's sweep under the same key"
        );
        let (g1, d1) = p1.fifo.unwrap();
        let (g2, d2) = p2.fifo.unwrap();
        assert_eq!(g1, g2, "a sweep's pages share a group");
        assert_ne!(d1, d2, "each page is its own message");
        for id in [g1, d1] {
            // SQS's limit on a message group or deduplication id: 128.
            assert!(id.len() <= 128 && id.chars().all(|c| c.is_ascii_graphic()));
        }
    }
}
