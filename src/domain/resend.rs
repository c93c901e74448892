//! Sending again the part of a batch a call left unsettled: the one loop
//! behind the disassociation item retries and the SendMessageBatch re-sends.

use super::deadline::Deadline;
use std::future::Future;
use std::time::Duration;

/// How often and how soon an item is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resend {
    /// Calls an item may take part in, the first included.
    pub calls: u32,
    /// Wait before the first re-send; doubles after each.
    pub backoff: Duration,
}

/// Calls `call(attempt, indices)` with the indices of a batch of `len`
/// items, then again, after a doubling backoff, with those whose result
/// `again` calls transient: at most `resend.calls` calls, each only while
/// `deadline` allows one. `call` answers one result per index it is given,
/// in order. Returns each item's last result; `None` for an item the
/// deadline left uncalled.
pub async fn resend_unsettled<R, F, Fut>(
    len: usize,
    resend: Resend,
    deadline: Deadline,
    again: impl Fn(&R) -> bool,
    mut call: F,
) -> Vec<Option<R>>
where
    F: FnMut(u32, Vec<usize>) -> Fut,
    Fut: Future<Output = Vec<R>>,
{
    let mut results: Vec<Option<R>> = (0..len).map(|_| None).collect();
    let mut pending: Vec<usize> = (0..len).collect();
    let mut backoff = resend.backoff;
    for attempt in 1..=resend.calls.max(1) {
        if pending.is_empty() {
            break;
        }
        if attempt > 1 {
            deadline.sleep(backoff).await;
            backoff *= 2;
        }
        if !deadline.allows_call() {
            break;
        }
        let answered = call(attempt, pending.clone()).await;
        assert_eq!(answered.len(), pending.len(), "one result per item sent");
        for (i, result) in pending.iter().zip(answered) {
            results[*i] = Some(result);
        }
        pending.retain(|i| results[*i].as_ref().is_some_and(&again));
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const QUICK: Resend = Resend {
        calls: 3,
        backoff: Duration::ZERO,
    };

    #[tokio::test]
    async fn only_the_unsettled_items_are_sent_again_and_no_more_than_allowed() {
        // Item 1 settles on its second call; item 3 never does.
        let mut sent = Vec::new();
        let results = resend_unsettled(
            4,
            QUICK,
            Deadline::NONE,
            |r: &bool| !r,
            |n, items| {
                sent.push(items.clone());
                let answers = items
                    .iter()
                    .map(|i| *i == 0 || *i == 2 || (*i == 1 && n == 2));
                std::future::ready(answers.collect::<Vec<bool>>())
            },
        )
        .await;
        assert_eq!(sent, vec![vec![0, 1, 2, 3], vec![1, 3], vec![3]]);
        assert_eq!(
            results,
            vec![Some(true), Some(true), Some(true), Some(false)]
        );
    }

    #[tokio::test]
    async fn a_spent_deadline_calls_nothing() {
        let spent = Deadline {
            at: Some(Instant::now()),
            margin: Duration::from_secs(1),
            ..Deadline::NONE
        };
        let results = resend_unsettled(
            2,
            QUICK,
            spent,
            |_: &bool| true,
            |_, items| std::future::ready(vec![true; items.len()]),
        )
        .await;
        assert_eq!(results, vec![None, None]);
    }
}
