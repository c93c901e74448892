//! The log lines of one test binary, for tests that read them: one global
//! subscriber (a scoped one can miss events whose callsite another test
//! thread cached as unused), and the tests one at a time (each takes its
//! turn), so that each reads only its own lines.

use serde_json::Value;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

static LOGS: OnceLock<Logs> = OnceLock::new();
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl std::io::Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// This test's turn, and the log, emptied.
    pub async fn capture() -> (Self, tokio::sync::MutexGuard<'static, ()>) {
        let turn = ONE_AT_A_TIME.lock().await;
        let logs = LOGS
            .get_or_init(|| {
                let logs = Logs::default();
                let writer = logs.clone();
                let subscriber = tracing_subscriber::fmt()
                    .json()
                    .flatten_event(true)
                    .with_max_level(tracing::Level::TRACE)
                    .with_writer(move || writer.clone())
                    .finish();
                tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
                logs
            })
            .clone();
        logs.0.lock().unwrap().clear();
        (logs, turn)
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
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
