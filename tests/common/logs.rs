//! The log lines of one test, for tests that read them. One global
//! subscriber (a scoped one can miss events whose callsite another test
//! thread cached as unused), which keeps only the lines of the tests that
//! are capturing: the integration tests are one binary, so tests that do not
//! read logs run beside them and log too.
//!
//! A capturing test marks its own thread: a `#[tokio::test]` on the
//! current-thread runtime runs the function under test on that thread, so
//! its lines, and only its, are kept. A test on the multi-thread runtime
//! cannot be told apart by thread: it keeps every thread's lines, and the
//! capturing tests also take turns, one at a time, so that two capturing
//! tests never share the log.

use serde_json::Value;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::layer::SubscriberExt;

#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

static LOGS: OnceLock<Logs> = OnceLock::new();
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
/// A capturing test runs on the multi-thread runtime: keep every thread's lines.
static EVERY_THREAD: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This thread belongs to the capturing test.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

fn kept() -> bool {
    EVERY_THREAD.load(Ordering::Relaxed) || CAPTURING.with(Cell::get)
}

impl std::io::Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A capturing test's turn: while it lives, its lines are kept.
pub struct Turn {
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        CAPTURING.with(|c| c.set(false));
        EVERY_THREAD.store(false, Ordering::Relaxed);
    }
}

impl Logs {
    /// This test's turn, and the log, emptied.
    pub async fn capture() -> (Self, Turn) {
        let turn = ONE_AT_A_TIME.lock().await;
        let logs = LOGS
            .get_or_init(|| {
                let logs = Logs::default();
                let writer = logs.clone();
                let layer = tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(move || writer.clone())
                    // Asked at every event: a `filter_fn` would cache its first
                    // answer per callsite, whichever test's thread asked first.
                    .with_filter(dynamic_filter_fn(|_, _| kept()));
                let subscriber = tracing_subscriber::registry().with(layer);
                tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
                logs
            })
            .clone();
        logs.0.lock().unwrap().clear();
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        EVERY_THREAD.store(multi_thread, Ordering::Relaxed);
        CAPTURING.with(|c| c.set(true));
        (logs, Turn { _turn: turn })
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The lines so far, and the log emptied for the next step.
    pub fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }

    /// The last invocation line.
    pub fn invocation(&self) -> Value {
        self.text()
            .lines()
            .rev()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| l["message"] == "invocation")
            .expect("an invocation line")
    }
}
