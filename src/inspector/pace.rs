//! Pacing: every call one function environment makes to Inspector passes
//! one [`Pacer`], which bounds the calls in flight (`BATCH_CONCURRENCY`,
//! shared by every message of a batch and every item of a fan-out) and
//! spaces them at a rate it finds by itself from the service's throttling
//! answers (a [`Rate`] controller), capped by `INSPECTOR_MAX_CALLS_PER_SECOND`
//! when the operator knows the quota.
//!
//! Why not the SDK's adaptive retry mode: its CUBIC limiter is off until the
//! first throttle (each new environment starts by bursting into the quota),
//! is one static per process (every client of a service shares it, so
//! environments cannot be modelled, nor a ceiling set), and at quotas of a
//! few calls a second its cycle back to the last maximum is one to two
//! seconds, so it keeps probing the quota: measured here against a
//! 10-calls-a-second token bucket it left well over 5 % of calls throttled.
//! The controller below starts at a modest rate, grows it by half each
//! second until the first throttle, then cuts to 70 % of the rate the
//! service actually accepted, and afterwards adds 0.01 call/s each second
//! and cuts by 10 % at most once a second. A throttled call is sent again
//! through the same pacer (the SDK does not retry throttling itself).

use crate::domain::{AwsErrorKind, Deadline, Error, Operation};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The rate a new environment starts at (calls a second) without a ceiling.
pub const START_RATE: f64 = 5.0;
const PROBE_GROWTH: f64 = 0.5;
const ADDITIVE_GROWTH: f64 = 0.01;
const ACCELERATION: f64 = 30.0;
const FIRST_CUT: f64 = 0.7;
const CUT: f64 = 0.9;
const QUIET: Duration = Duration::from_secs(1);
const WINDOW: Duration = Duration::from_secs(2);
const MIN_RATE: f64 = 0.2;

/// The rate controller; pure (time is passed in), so it is tested alone.
#[derive(Debug, Clone)]
pub struct Rate {
    rate: f64,
    ceiling: Option<f64>,
    probing: bool,
    next: Option<Instant>,
    updated: Option<Instant>,
    last_cut: Option<Instant>,
    accepted: VecDeque<Instant>,
}

impl Rate {
    /// Starts at the ceiling when there is one, else at [`START_RATE`].
    pub fn new(ceiling: Option<f64>) -> Self {
        Rate {
            rate: ceiling.unwrap_or(START_RATE),
            ceiling,
            probing: ceiling.is_none(),
            next: None,
            updated: None,
            last_cut: None,
            accepted: VecDeque::new(),
        }
    }

    /// Calls a second now.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    fn grow(&mut self, now: Instant) {
        let dt = self
            .updated
            .map_or(0.0, |u| now.saturating_duration_since(u).as_secs_f64());
        self.updated = Some(now);
        self.rate = if self.probing {
            self.rate * (1.0 + PROBE_GROWTH).powf(dt)
        } else {
            // Faster the longer since the last cut (0.01 call/s each second
            // at first, 0.03 after a minute): the rate recovers from a
            // throttle that was not the quota's.
            let since = self
                .last_cut
                .map_or(0.0, |c| now.saturating_duration_since(c).as_secs_f64());
            self.rate + ADDITIVE_GROWTH * dt * (1.0 + since / ACCELERATION)
        };
        if let Some(c) = self.ceiling {
            self.rate = self.rate.min(c);
        }
    }

    /// Takes the next slot if it has come (`None`), or says how long to
    /// wait before asking again.
    pub fn take(&mut self, now: Instant) -> Option<Duration> {
        self.grow(now);
        match self.next {
            Some(next) if next > now => Some(next - now),
            _ => {
                let from = self.next.map_or(now, |n| n.max(now));
                self.next = Some(from + Duration::from_secs_f64(1.0 / self.rate));
                None
            }
        }
    }

    /// A call the service accepted.
    pub fn accepted(&mut self, now: Instant) {
        self.grow(now);
        self.accepted.push_back(now);
        while self
            .accepted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > WINDOW)
        {
            self.accepted.pop_front();
        }
    }

    /// A call the service throttled: the rate is cut (at most once a
    /// second: the calls in flight meet the same empty bucket) and the next
    /// slot moved one new interval away.
    pub fn throttled(&mut self, now: Instant) {
        self.grow(now);
        if self
            .last_cut
            .is_some_and(|c| now.saturating_duration_since(c) < QUIET)
        {
            // Cut already; the bucket is still empty: the next slot waits
            // one interval from now all the same.
            let later = now + Duration::from_secs_f64(1.0 / self.rate);
            self.next = Some(self.next.map_or(later, |n| n.max(later)));
            return;
        }
        self.last_cut = Some(now);
        let measured = self.accepted.len() as f64 / WINDOW.as_secs_f64();
        // What the service accepted says where the quota is only when the
        // environment was using most of its rate.
        let (base, cut) = if self.probing && measured >= self.rate / 2.0 {
            (self.rate.min(measured), FIRST_CUT)
        } else if self.probing {
            (self.rate, FIRST_CUT)
        } else {
            (self.rate, CUT)
        };
        self.probing = false;
        self.rate = (base * cut).max(MIN_RATE);
        self.next = Some(now + Duration::from_secs_f64(1.0 / self.rate));
    }
}

/// One per function environment (built once per cold start, shared by
/// both Inspector clients).
#[derive(Debug)]
pub struct Pacer {
    rate: Mutex<Rate>,
    in_flight: Semaphore,
    adaptive: bool,
}

/// What a paced call came to, as the pacer needs it.
pub enum Answer {
    Accepted,
    /// Throttled; the service's `Retry-After`, if it sent one.
    Throttled(Option<Duration>),
}

impl Pacer {
    /// `adaptive` false: no rate at all, only the bound on calls in flight
    /// (`INSPECTOR_PACING=off`).
    pub fn new(in_flight: usize, ceiling: Option<f64>, adaptive: bool) -> Self {
        Pacer {
            rate: Mutex::new(Rate::new(ceiling)),
            in_flight: Semaphore::new(in_flight.max(1)),
            adaptive,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate.lock().expect("pacer lock").rate()
    }

    /// Runs `call` (one SDK call, its own retries of other errors
    /// included) when a slot and a place in flight are free; a throttled
    /// call is sent again through the pacer, `attempts` times in all, and
    /// not at all when a `Retry-After` is longer than `max_wait` or the
    /// deadline would pass first.
    pub async fn run<T, F, Fut>(
        &self,
        op: Operation,
        deadline: Deadline,
        attempts: u32,
        max_wait: Duration,
        mut call: F,
    ) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let _permit = self.in_flight.acquire().await.expect("never closed");
            let waited = self.slot(deadline).await;
            crate::telemetry::paced(waited);
            deadline.check(op.iam_action())?;
            let started = Instant::now();
            let result = call().await;
            crate::telemetry::aws_call(op, started.elapsed());
            let now = Instant::now();
            let throttled = match &result {
                Err(Error::Aws(e)) if e.kind == AwsErrorKind::Throttled => Some(e.retry_after),
                _ => None,
            };
            let Some(after) = throttled else {
                self.rate.lock().expect("pacer lock").accepted(now);
                return result;
            };
            self.rate.lock().expect("pacer lock").throttled(now);
            crate::telemetry::throttled(op);
            if attempt >= attempts || after.is_some_and(|a| a > max_wait) {
                return result;
            }
            if let Some(after) = after {
                deadline.sleep(after).await;
            }
        }
    }

    /// Waits for the next slot; how long it waited.
    async fn slot(&self, deadline: Deadline) -> Duration {
        let started = Instant::now();
        if !self.adaptive && self.rate.lock().expect("pacer lock").ceiling.is_none() {
            return Duration::ZERO;
        }
        loop {
            let wait = self.rate.lock().expect("pacer lock").take(Instant::now());
            match wait {
                None => return started.elapsed(),
                Some(wait) => {
                    if deadline.time_for_calls().is_some_and(|left| left < wait) {
                        deadline.sleep(wait).await;
                        return started.elapsed();
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
