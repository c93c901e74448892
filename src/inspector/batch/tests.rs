use super::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn item(i: usize) -> ConfigurationItem {
    ConfigurationItem {
        scan_configuration_arn: format!("arn-{}", i % 3),
        project_id: format!("p-{i}"),
    }
}

fn ok(it: &ConfigurationItem) -> Reported {
    Reported {
        scan_configuration_arn: it.scan_configuration_arn.clone(),
        project_id: it.project_id.clone(),
        result: ItemResult::Ok,
    }
}

fn failed(it: &ConfigurationItem, code: &str) -> Reported {
    Reported {
        result: ItemResult::Failed {
            code: code.into(),
            message: "m".into(),
            retry: code == "INTERNAL_ERROR",
            unfinished: code == "INTERNAL_ERROR",
        },
        ..ok(it)
    }
}

/// An in-memory service: `answer` decides each call's report; every
/// call's items are recorded.
struct Fake<F> {
    answer: F,
    calls: Mutex<Vec<Vec<String>>>,
    directions: Mutex<Vec<Direction>>,
}

impl<F> Fake<F> {
    fn new(answer: F) -> Self {
        Fake {
            answer,
            calls: Mutex::new(Vec::new()),
            directions: Mutex::new(Vec::new()),
        }
    }
    fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }
}

impl<F> BatchApi for Fake<F>
where
    F: Fn(usize, &[ConfigurationItem]) -> Result<Vec<Reported>, Error> + Sync,
{
    fn batch_call(
        &self,
        direction: Direction,
        chunk: &[ConfigurationItem],
    ) -> impl Future<Output = Result<Vec<Reported>, Error>> + Send {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            calls.push(chunk.iter().map(|i| i.project_id.clone()).collect());
            self.directions.lock().unwrap().push(direction);
            calls.len() - 1
        };
        let answer = (self.answer)(n, chunk);
        async move { answer }
    }
}

fn settings(rounds: u32) -> BatchSettings {
    BatchSettings {
        concurrency: 3,
        item_retry_rounds: rounds,
        item_retry_backoff: Duration::from_millis(1),
        max_calls_per_second: None,
        pacing: true,
    }
}

fn batch(n: usize) -> ConfigurationChange {
    batch_to(Direction::Disassociate, n)
}

fn batch_to(direction: Direction, n: usize) -> ConfigurationChange {
    ConfigurationChange {
        direction,
        items: (0..n).map(item).collect(),
    }
}

fn projects(v: &[impl AsRef<str>]) -> Vec<String> {
    v.iter().map(|s| s.as_ref().to_string()).collect()
}

#[tokio::test]
async fn every_item_once_in_input_order_whatever_the_report_order() {
    // Reports in reverse, with one item reported twice and one never sent.
    let fake = Fake::new(|_, chunk: &[ConfigurationItem]| {
        let mut r: Vec<Reported> = chunk.iter().rev().map(ok).collect();
        r.push(ok(&chunk[0]));
        r.push(ok(&item(999)));
        Ok(r)
    });
    for direction in Direction::ALL {
        let out = change(
            &fake,
            &settings(0),
            &batch_to(direction, 60),
            Deadline::NONE,
        )
        .await;
        assert_eq!(out.direction, direction);
        let got: Vec<&str> = out
            .batch
            .successful_associations
            .iter()
            .map(|s| s.resource.project_id.as_str())
            .collect();
        let want: Vec<String> = (0..60).map(|i| format!("p-{i}")).collect();
        assert_eq!(got, want);
        assert!(out.batch.failed_associations.is_empty());
    }
    let sizes: Vec<usize> = fake.calls().iter().map(Vec::len).collect();
    assert_eq!(sizes, [25, 25, 10, 25, 25, 10]);
    assert_eq!(
        *fake.directions.lock().unwrap(),
        [[Direction::Associate; 3], [Direction::Disassociate; 3]].concat(),
        "each call in the batch's own direction"
    );
}

#[tokio::test]
async fn transient_items_are_sent_again_and_others_are_not() {
    // First call: item 1 INTERNAL_ERROR, item 2 ACCESS_DENIED, item 3 unreported.
    let fake = Fake::new(|n, chunk: &[ConfigurationItem]| {
        Ok(chunk
            .iter()
            .filter(|it| n > 0 || it.project_id != "p-3")
            .map(|it| match (n, it.project_id.as_str()) {
                (0, "p-1") => failed(it, "INTERNAL_ERROR"),
                (_, "p-2") => failed(it, "ACCESS_DENIED"),
                _ => ok(it),
            })
            .collect())
    });
    let out = change(&fake, &settings(2), &batch(5), Deadline::NONE).await;
    assert_eq!(fake.calls()[1], projects(&["p-1", "p-3"]));
    assert_eq!(fake.calls().len(), 2);
    assert_eq!(out.batch.successful_associations.len(), 4);
    assert_eq!(out.batch.failed_associations.len(), 1);
    assert_eq!(
        out.batch.failed_associations[0].status_code,
        "ACCESS_DENIED"
    );
}

#[tokio::test]
async fn a_failed_call_fails_its_items_with_the_batch_codes() {
    let fake = Fake::new(|_, _: &[ConfigurationItem]| {
        Err(Error::Aws(crate::domain::AwsError {
            operation: Direction::Disassociate.iam_action(),
            code: "AccessDeniedException".into(),
            message: "no".into(),
            kind: AwsErrorKind::AccessDenied,
            retry_after: None,
        }))
    });
    let out = change(&fake, &settings(2), &batch(30), Deadline::NONE).await;
    assert_eq!(out.batch.failed_associations.len(), 30);
    assert!(
        out.batch
            .failed_associations
            .iter()
            .all(|f| f.status_code == "ACCESS_DENIED")
    );
    assert_eq!(fake.calls().len(), 2, "not retried item by item");
}

#[tokio::test]
async fn nothing_is_sent_past_the_deadline() {
    let fake = Fake::new(|_, chunk: &[ConfigurationItem]| Ok(chunk.iter().map(ok).collect()));
    let near = Deadline {
        at: Some(Instant::now() + Duration::from_millis(10)),
        margin: Duration::from_secs(1),
        ..Deadline::NONE
    };
    let out = change(&fake, &settings(2), &batch(30), near).await;
    assert!(fake.calls().is_empty());
    assert_eq!(out.batch.failed_associations.len(), 30);
    assert!(
        out.batch
            .failed_associations
            .iter()
            .all(|f| f.status_message.starts_with("not attempted"))
    );
}

#[tokio::test]
async fn a_short_answer_never_pairs_an_item_with_another_items_result() {
    // The last, short chunk (p-50..p-54) is answered with one of its own
    // items missing, one failed, and a result for an item of the first
    // chunk, which must not be taken for the missing one.
    let fake = Fake::new(|n, chunk: &[ConfigurationItem]| {
        if chunk.len() == 5 && n < 3 {
            Ok(vec![
                ok(&chunk[0]),
                failed(&chunk[1], "ACCESS_DENIED"),
                ok(&chunk[3]),
                ok(&chunk[4]),
                failed(&item(0), "ACCESS_DENIED"),
            ])
        } else {
            Ok(chunk.iter().map(ok).collect())
        }
    });
    let out = change(&fake, &settings(0), &batch(55), Deadline::NONE).await;
    let failed: Vec<(&str, &str)> = out
        .batch
        .failed_associations
        .iter()
        .map(|f| (f.resource.project_id.as_str(), f.status_code.as_str()))
        .collect();
    assert_eq!(
        failed,
        [("p-51", "ACCESS_DENIED"), ("p-52", "INTERNAL_ERROR")]
    );
    assert_eq!(out.batch.successful_associations.len(), 53);
    assert!(
        out.batch
            .successful_associations
            .iter()
            .any(|s| s.resource.project_id == "p-0"),
        "p-0 keeps its own chunk's result"
    );
}
