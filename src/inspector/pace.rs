//! Pacing: every call one function environment makes to Inspector passes
//! one [`Pacer`]. It keeps a token bucket whose rate a [`Rate`] controller
//! finds from the service's throttling answers (capped by
//! `INSPECTOR_MAX_CALLS_PER_SECOND` when the operator knows the quota), and
//! two lanes (see [`Lane`]):
//!
//! - **capacity first**: a call that finds a token goes at once; only calls
//!   beyond the rate wait, so a caller below the quota never waits;
//! - **interactive before bulk**: an HTTP request, a webhook or a single
//!   start never waits behind a sweep. Bulk work (fan-out items, queue
//!   messages, scan watches) leaves one token in the bucket for it and is
//!   bounded in flight by `BATCH_CONCURRENCY`; an interactive call takes
//!   that token, and while no throttle says where the quota is (and no
//!   ceiling is set), it goes even when the bucket is empty. An interactive
//!   call that would wait past its deadline is answered as throttled at
//!   once, with the wait as its `Retry-After`;
//! - **grow with demand, never with idle time**: the rate rises only while
//!   calls find the bucket empty, by half each second of such demand until
//!   the first throttle that the traffic behind it makes meaningful, slowly
//!   afterwards; never above its cap (the ceiling, else twice the highest
//!   rate the service accepted) so it stays finite whatever the clock does;
//! - **a throttle is weighed by the traffic behind it**: when the
//!   environment was sending at half its rate or more, it says where the quota is
//!   (the first cuts to 70 % of what the service accepted, later ones by
//!   10 %, at most once a second); after sparse calls it says little, so the
//!   rate is cut by 10 % at most, never below what the service accepted, and
//!   grows back at the fast pace as soon as calls succeed and wait again.
//!
//! Why not the SDK's adaptive retry mode: its CUBIC limiter is off until the
//! first throttle (each new environment starts by bursting into the quota),
//! is one static per process (every client of a service shares it, so
//! environments cannot be modelled, nor a ceiling set), and at quotas of a
//! few calls a second its cycle back to the last maximum is one to two
//! seconds, so it keeps probing the quota: measured here against a
//! 10-calls-a-second token bucket it left well over 5 % of calls throttled.
//! A throttled call is sent again through the same pacer (the SDK does not
//! retry throttling itself).

use crate::domain::{AwsError, AwsErrorKind, Deadline, Error, Lane, Operation};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The rate bulk work starts at (calls a second) without a ceiling.
pub const START_RATE: f64 = 5.0;
/// Growth per second of demand while probing (and while recovering from a
/// sparse throttle): ×1.5.
const PROBE_GROWTH: f64 = 0.5;
/// Growth per second of demand once the quota was found: 0.01 call/s at
/// first, faster the longer calls have kept waiting since the last cut.
const STEADY_GROWTH: f64 = 0.01;
const ACCELERATION: f64 = 30.0;
const FIRST_CUT: f64 = 0.7;
const CUT: f64 = 0.9;
/// A throttle is one cut: the calls in flight meet the same empty bucket.
const QUIET: Duration = Duration::from_secs(1);
/// What the service accepted is counted over this window.
const WINDOW: Duration = Duration::from_secs(2);
/// Demand counts for growth this long after a call last found no token.
const DEMAND: Duration = Duration::from_secs(1);
/// The longest step of growth one update may take: a thawed environment
/// grows by one step at most.
const MAX_STEP: Duration = Duration::from_secs(1);
/// A throttle makes interactive calls wait for tokens this long.
const QUOTA_MEMORY: Duration = Duration::from_secs(60);
/// A throttle speaks of the quota when the environment was using this
/// share of its rate.
const DENSE: f64 = 0.5;
const MIN_RATE: f64 = 0.2;
/// Without a ceiling the rate stays under this multiple of the highest
/// rate the service accepted (and of [`START_RATE`]).
const CAP_FACTOR: f64 = 2.0;
/// The bucket holds half a second of calls, at least 2 (one is kept for
/// interactive calls), at most 10.
const BURST_SECONDS: f64 = 0.5;
const MIN_BURST: f64 = 2.0;
const MAX_BURST: f64 = 10.0;
/// Tokens bulk work leaves in the bucket for interactive calls.
const RESERVE: f64 = 1.0;
/// Acceptances remembered (a rate above `MAX_SEEN / WINDOW` reads as that).
const MAX_SEEN: usize = 4096;

/// The rate controller and its token bucket; pure (time is passed in), so
/// it is tested alone over a simulated clock.
#[derive(Debug, Clone)]
pub struct Rate {
    rate: f64,
    ceiling: Option<f64>,
    /// Before the first throttle that spoke of the quota.
    probing: bool,
    tokens: f64,
    refilled: Option<Instant>,
    grown: Option<Instant>,
    /// The last time a call found no token.
    starved: Option<Instant>,
    /// Seconds of demand since the last cut.
    demand_since_cut: f64,
    last_cut: Option<Instant>,
    last_throttle: Option<Instant>,
    /// The rate before sparse cuts: grown back to fast.
    restore_to: f64,
    accepted: VecDeque<Instant>,
    /// When calls were let go, over the same window: the traffic behind a
    /// throttle.
    sent: VecDeque<Instant>,
    /// The highest rate the service accepted (calls a second over `WINDOW`).
    best: f64,
}

impl Rate {
    /// Starts at the ceiling when there is one, else at [`START_RATE`], with
    /// a full bucket.
    pub fn new(ceiling: Option<f64>) -> Self {
        let ceiling = ceiling.filter(|c| c.is_finite() && *c > 0.0);
        Rate {
            rate: ceiling.unwrap_or(START_RATE),
            ceiling,
            probing: ceiling.is_none(),
            tokens: 0.0,
            refilled: None,
            grown: None,
            starved: None,
            demand_since_cut: 0.0,
            last_cut: None,
            last_throttle: None,
            restore_to: 0.0,
            accepted: VecDeque::new(),
            sent: VecDeque::new(),
            best: 0.0,
        }
    }

    /// Calls a second now.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The most the rate may be: the ceiling, else a multiple of the
    /// highest rate the service accepted.
    pub fn cap(&self) -> f64 {
        self.ceiling
            .unwrap_or(CAP_FACTOR * self.best.max(START_RATE))
    }

    fn burst(&self) -> f64 {
        (self.rate * BURST_SECONDS).clamp(MIN_BURST, MAX_BURST)
    }

    /// Does a throttle (or the ceiling) say where the quota is? Then
    /// interactive calls wait for tokens too.
    fn limiting(&self, now: Instant) -> bool {
        self.ceiling.is_some()
            || self
                .last_throttle
                .is_some_and(|t| now.saturating_duration_since(t) < QUOTA_MEMORY)
    }

    fn refill(&mut self, now: Instant) {
        self.tokens = match self.refilled {
            None => self.burst(),
            Some(r) => {
                let dt = now.saturating_duration_since(r).as_secs_f64();
                (self.tokens + dt * self.rate).min(self.burst())
            }
        };
        self.refilled = Some(now);
    }

    /// Grows the rate by the demand since the last update: only when a call
    /// found no token within [`DEMAND`], by at most [`MAX_STEP`] of growth.
    fn grow(&mut self, now: Instant) {
        let dt = self
            .grown
            .map_or(Duration::ZERO, |g| now.saturating_duration_since(g))
            .min(MAX_STEP)
            .as_secs_f64();
        self.grown = Some(now);
        let demand = self
            .starved
            .is_some_and(|s| now.saturating_duration_since(s) <= DEMAND);
        if !demand || dt <= 0.0 {
            return;
        }
        let fast = self.rate * (1.0 + PROBE_GROWTH).powf(dt);
        self.rate = if self.probing {
            fast
        } else if self.rate < self.restore_to {
            fast.min(self.restore_to)
        } else {
            self.demand_since_cut += dt;
            self.rate + STEADY_GROWTH * dt * (1.0 + self.demand_since_cut / ACCELERATION)
        };
        self.rate = self.rate.clamp(MIN_RATE.min(self.cap()), self.cap());
    }

    /// Takes a token for a call in `lane` (`None`: go now), or says how
    /// long to wait before asking again. Bulk work leaves [`RESERVE`] tokens
    /// for interactive calls; an interactive call goes without a token while
    /// no throttle or ceiling says where the quota is.
    pub fn take(&mut self, now: Instant, lane: Lane) -> Option<Duration> {
        self.refill(now);
        // Growth first: the time before this call was no demand.
        self.grow(now);
        let need = match lane {
            Lane::Interactive => 1.0,
            Lane::Bulk => 1.0 + RESERVE,
        };
        if self.tokens >= need {
            self.tokens -= 1.0;
            remember(&mut self.sent, now);
            return None;
        }
        self.starved = Some(now);
        if lane == Lane::Interactive && !self.limiting(now) {
            remember(&mut self.sent, now);
            return None;
        }
        Some(Duration::from_secs_f64((need - self.tokens) / self.rate))
    }

    /// Calls a second the service accepted over the last [`WINDOW`].
    fn measured(&mut self, now: Instant) -> f64 {
        per_second(&mut self.accepted, now)
    }

    /// A call the service accepted.
    pub fn accepted(&mut self, now: Instant) {
        self.refill(now);
        self.grow(now);
        remember(&mut self.accepted, now);
        let measured = self.measured(now);
        self.best = self.best.max(measured);
    }

    /// A call the service throttled: the bucket is empty (as the service's
    /// is), interactive calls wait for tokens for a while, and the rate is
    /// cut as the traffic behind the throttle warrants (once a second at
    /// most).
    pub fn throttled(&mut self, now: Instant) {
        self.refill(now);
        self.grow(now);
        self.tokens = 0.0;
        self.last_throttle = Some(now);
        if self
            .last_cut
            .is_some_and(|c| now.saturating_duration_since(c) < QUIET)
        {
            return;
        }
        self.last_cut = Some(now);
        let measured = self.measured(now);
        let sent = per_second(&mut self.sent, now);
        if sent >= self.rate * DENSE {
            // The environment was using most of its rate: the quota is near.
            self.rate = if self.probing {
                self.rate.min(measured) * FIRST_CUT
            } else {
                self.rate * CUT
            };
            self.probing = false;
            self.restore_to = 0.0;
            self.demand_since_cut = 0.0;
        } else {
            // Sparse calls: little is known; never below what was accepted,
            // and back at the fast pace when calls succeed and wait again.
            self.restore_to = self.restore_to.max(self.rate);
            self.rate = (self.rate * CUT).max(measured);
        }
        self.rate = self.rate.clamp(MIN_RATE.min(self.cap()), self.cap());
    }
}

/// Remembers a moment (the oldest forgotten past [`MAX_SEEN`]).
fn remember(times: &mut VecDeque<Instant>, now: Instant) {
    if times.len() >= MAX_SEEN {
        times.pop_front();
    }
    times.push_back(now);
}

/// Moments a second over the last [`WINDOW`] (older ones forgotten).
fn per_second(times: &mut VecDeque<Instant>, now: Instant) -> f64 {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) > WINDOW)
    {
        times.pop_front();
    }
    times.len() as f64 / WINDOW.as_secs_f64()
}

/// One per function environment (built once per cold start, shared by
/// both Inspector clients and by every invocation the environment runs at
/// once).
#[derive(Debug)]
pub struct Pacer {
    rate: Mutex<Rate>,
    in_flight: Semaphore,
    adaptive: bool,
}

impl Pacer {
    /// `adaptive` false: no rate found, only the ceiling (if any) and the
    /// bound on bulk calls in flight (tests and benches compare with it).
    pub fn new(in_flight: usize, ceiling: Option<f64>, adaptive: bool) -> Self {
        Pacer {
            rate: Mutex::new(Rate::new(ceiling)),
            in_flight: Semaphore::new(in_flight.max(1)),
            adaptive,
        }
    }

    pub fn rate(&self) -> f64 {
        self.lock().rate()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rate> {
        // A panic while holding it cannot leave the controller unusable:
        // its state is plain numbers, each update complete or not begun.
        self.rate.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pacing(&self) -> bool {
        self.adaptive || self.lock().ceiling.is_some()
    }

    /// Runs `call` (one SDK call, its own retries of other errors
    /// included) when the pacer lets it go (see the module); a throttled
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
            // Bulk work is bounded in flight; interactive calls never wait
            // for a place behind it.
            let _permit = match deadline.lane {
                Lane::Bulk => Some(self.in_flight.acquire().await.expect("never closed")),
                Lane::Interactive => None,
            };
            let waited = self.slot(op, deadline).await?;
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
                self.lock().accepted(now);
                return result;
            };
            self.lock().throttled(now);
            crate::telemetry::throttled(op);
            if attempt >= attempts || after.is_some_and(|a| a > max_wait) {
                return result;
            }
            if let Some(after) = after {
                deadline.sleep(after).await;
            }
        }
    }

    /// Waits for the call's turn; how long it waited. An interactive call
    /// whose turn would come after its deadline is answered as throttled at
    /// once; a bulk call waits until the deadline, which then stops it.
    async fn slot(&self, op: Operation, deadline: Deadline) -> Result<Duration, Error> {
        let started = Instant::now();
        if !self.pacing() {
            return Ok(Duration::ZERO);
        }
        loop {
            let wait = self.lock().take(Instant::now(), deadline.lane);
            let Some(wait) = wait else {
                return Ok(started.elapsed());
            };
            let left = deadline.time_for_calls();
            if left.is_some_and(|left| left < wait) {
                if deadline.lane == Lane::Interactive {
                    return Err(paced_out(op, wait));
                }
                deadline.sleep(wait).await;
                return Ok(started.elapsed());
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// The answer to an interactive call whose turn would come too late: the
/// environment's share of the quota is used up; try again after `wait`.
fn paced_out(op: Operation, wait: Duration) -> Error {
    Error::Aws(AwsError {
        operation: op.iam_action(),
        code: "ThrottlingException".into(),
        message: "the function's share of Inspector's quota is in use; not sent".into(),
        kind: AwsErrorKind::Throttled,
        retry_after: Some(Duration::from_secs(
            wait.as_secs_f64().ceil().max(1.0) as u64
        )),
    })
}

#[cfg(test)]
mod tests;
