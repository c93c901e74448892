//! A stand-in that counts the calls in flight exactly: a call is in flight
//! from the moment its request has arrived to the moment its answer has
//! been written. It holds every call until no new one has arrived for a
//! quiet interval, then answers all it holds: whatever number of calls the
//! function lets be in flight at once is, at that moment, in flight
//! together, and a call beyond the bound would arrive while the others are
//! held. So the maximum it counts is the function's bound, not an estimate
//! from arrival times.
//!
//! A plain HTTP/1.1 server on a loopback port (keep-alive, one request at a
//! time per connection, bodies with Content-Length, as the SDK sends them).

use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the stand-in counted.
#[derive(Debug)]
pub struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
    calls: AtomicUsize,
    last_arrival: Mutex<Instant>,
    quiet: Duration,
}

impl InFlight {
    /// The most calls that were in flight at once.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// Calls answered or in flight so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Calls in flight now.
    pub fn now(&self) -> usize {
        self.now.load(Ordering::SeqCst)
    }

    fn arrive(&self) {
        *self.last_arrival.lock().unwrap() = Instant::now();
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    /// Until no call has arrived for `quiet`.
    async fn quiet(&self) {
        loop {
            let since = self.last_arrival.lock().unwrap().elapsed();
            if since >= self.quiet {
                return;
            }
            tokio::time::sleep(self.quiet - since).await;
        }
    }
}

/// The answer to one call: the request's path and JSON body in, a 200
/// JSON body out.
pub type Answer = Arc<dyn Fn(&str, &Value) -> Value + Send + Sync>;

/// Starts the stand-in on a loopback port: its endpoint URL and its counts.
/// Every call is held until no new call has arrived for `quiet`.
pub async fn holding(quiet: Duration, answer: Answer) -> (String, Arc<InFlight>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let counts = Arc::new(InFlight {
        now: AtomicUsize::new(0),
        max: AtomicUsize::new(0),
        calls: AtomicUsize::new(0),
        last_arrival: Mutex::new(Instant::now()),
        quiet,
    });
    let c = counts.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, c.clone(), answer.clone()));
        }
    });
    (uri, counts)
}

async fn serve(mut stream: TcpStream, counts: Arc<InFlight>, answer: Answer) {
    let mut buf = Vec::new();
    while let Some((path, body)) = read_request(&mut stream, &mut buf).await {
        counts.arrive();
        counts.quiet().await;
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let out = answer(&path, &json).to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            out.len()
        );
        let written = stream.write_all(head.as_bytes()).await.is_ok()
            && stream.write_all(out.as_bytes()).await.is_ok()
            && stream.flush().await.is_ok();
        counts.leave();
        if !written {
            return;
        }
    }
}

/// One request off the connection: its path and body; None at its end.
/// `buf` keeps what was read past the request.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let path = head.split_whitespace().nth(1)?.to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[end..end + length].to_vec();
    buf.drain(..end + length);
    Some((path, body))
}
