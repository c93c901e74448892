//! The controller over a simulated clock, one test per pattern of use.

use super::*;
use proptest::prelude::*;

fn at(start: Instant, secs: f64) -> Instant {
    start + Duration::from_secs_f64(secs)
}

#[test]
fn a_call_under_the_rate_goes_at_once_and_bulk_is_spaced_beyond_it() {
    let t0 = Instant::now();
    let mut r = Rate::new(Some(4.0));
    // A full bucket of 2 (half a second of 4/s, at least 2): one bulk call
    // leaves the last token for an interactive one.
    assert_eq!(r.take(t0, Lane::Bulk), None, "the first call is free");
    let wait = r
        .take(t0, Lane::Bulk)
        .expect("bulk keeps a token in reserve");
    assert_eq!(wait, Duration::from_millis(250));
    assert_eq!(r.take(t0, Lane::Interactive), None, "the reserve is theirs");
    assert_eq!(r.take(at(t0, 0.5), Lane::Bulk), None);
}

#[test]
fn the_ceiling_caps_the_rate_and_is_where_it_starts() {
    let t0 = Instant::now();
    let mut r = Rate::new(Some(3.0));
    for i in 0..100 {
        let now = at(t0, i as f64 * 0.01);
        let _ = r.take(now, Lane::Bulk);
        r.accepted(now);
    }
    assert_eq!(r.rate(), 3.0);
    assert_eq!(Rate::new(None).rate(), START_RATE);
    assert_eq!(Rate::new(Some(f64::INFINITY)).rate(), START_RATE);
}

#[test]
fn idle_time_never_grows_the_rate() {
    let t0 = Instant::now();
    let mut r = Rate::new(None);
    let _ = r.take(t0, Lane::Interactive);
    r.accepted(at(t0, 0.05));
    let before = r.rate();
    // An hour with nothing, then one call: no demand, no growth.
    let later = at(t0, 3600.0);
    assert_eq!(r.take(later, Lane::Bulk), None);
    r.accepted(at(t0, 3600.05));
    assert_eq!(r.rate(), before);
    // Demand grows it, by at most one second's step after the pause.
    for _ in 0..20 {
        let _ = r.take(at(t0, 3600.06), Lane::Bulk);
    }
    r.accepted(at(t0, 7200.0));
    assert!(r.rate() <= before * 1.5 + 1e-9, "{}", r.rate());
}

#[test]
fn demand_grows_the_rate_by_half_a_second_while_probing() {
    let t0 = Instant::now();
    let mut r = Rate::new(None);
    // Bulk calls keep finding the bucket empty for two seconds; the
    // service accepts every call sent.
    let mut t = 0.0;
    while t < 2.0 {
        if r.take(at(t0, t), Lane::Bulk).is_none() {
            r.accepted(at(t0, t));
        }
        t += 0.01;
    }
    let _ = r.take(at(t0, 2.0), Lane::Bulk);
    let grown = r.rate();
    assert!((grown - START_RATE * 2.25).abs() < 0.05, "{grown}");
}

#[test]
fn a_throttle_after_dense_traffic_cuts_to_what_was_accepted() {
    let t0 = Instant::now();
    let mut r = Rate::new(Some(100.0));
    r.probing = true;
    r.rate = 20.0;
    // 15 a second sent and accepted for two seconds: the quota is about there.
    for i in 0..30 {
        let now = at(t0, i as f64 / 15.0);
        assert_eq!(r.take(now, Lane::Bulk), None);
        r.accepted(now);
    }
    r.throttled(at(t0, 2.0));
    let cut = r.rate();
    assert!((cut - 15.0 * FIRST_CUT).abs() < 0.01, "{cut}");
    // Once a second at most: the calls in flight meet the same empty bucket.
    r.throttled(at(t0, 2.1));
    assert_eq!(r.rate(), cut);
    r.throttled(at(t0, 3.2));
    assert!(r.rate() <= cut * CUT + 1e-9);
}

#[test]
fn a_throttle_after_sparse_calls_cuts_little_and_never_below_what_was_accepted() {
    let t0 = Instant::now();
    let mut r = Rate::new(None);
    r.accepted(t0);
    r.throttled(at(t0, 0.5));
    // One call in two seconds says nothing of the quota.
    assert!((r.rate() - START_RATE * CUT).abs() < 1e-9, "{}", r.rate());
    assert!(r.probing, "still probing");
    // And a rate the service was accepting is not cut below it.
    let mut r = Rate::new(None);
    r.rate = 40.0;
    for i in 0..30 {
        r.accepted(at(t0, i as f64 / 15.0));
    }
    r.throttled(at(t0, 2.0));
    assert!(r.rate() >= 15.0 - 1e-9);
}

#[test]
fn a_throttle_empties_the_bucket_and_makes_interactive_calls_wait() {
    let t0 = Instant::now();
    let mut r = Rate::new(None);
    assert_eq!(r.take(t0, Lane::Interactive), None);
    r.throttled(at(t0, 0.01));
    let wait = r
        .take(at(t0, 0.02), Lane::Interactive)
        .expect("must wait after a throttle");
    assert!(wait > Duration::from_millis(150), "{wait:?}");
    // A minute later the quota is forgotten: no wait below it.
    for _ in 0..10 {
        assert_eq!(r.take(at(t0, 61.0), Lane::Interactive), None);
    }
}

/// One Inspector account's quota, a token bucket (rate `quota`, burst
/// `quota`), or none (every call accepted).
struct Service {
    quota: Option<f64>,
    tokens: f64,
    accepted: usize,
    throttled: usize,
}

impl Service {
    fn new(quota: Option<f64>) -> Self {
        Service {
            quota,
            tokens: quota.unwrap_or(0.0),
            accepted: 0,
            throttled: 0,
        }
    }

    fn tick(&mut self) {
        if let Some(q) = self.quota {
            self.tokens = (self.tokens + q / 1000.0).min(q);
        }
    }

    fn call(&mut self) -> bool {
        let ok = self.quota.is_none() || self.tokens >= 1.0;
        if ok {
            self.tokens -= 1.0;
            self.accepted += 1;
        } else {
            self.throttled += 1;
        }
        ok
    }

    fn share(&self) -> f64 {
        self.throttled as f64 / (self.accepted + self.throttled).max(1) as f64
    }
}

/// Environments running a bulk sweep against `service` from `from_ms`, in
/// steps of 1 ms: each sends whenever its pacer lets it and it has fewer
/// than 8 calls in flight (`BATCH_CONCURRENCY`); a call takes 50 ms. Until
/// `calls` more calls were accepted; the milliseconds it took.
fn sweep(envs: &mut [Rate], service: &mut Service, from_ms: u64, calls: usize) -> u64 {
    let t0 = Instant::now();
    let goal = service.accepted + calls;
    let mut answers: Vec<(u64, usize, bool)> = Vec::new();
    let mut in_flight = vec![0usize; envs.len()];
    let mut ms = from_ms;
    while service.accepted < goal {
        let now = at(t0, ms as f64 / 1000.0);
        service.tick();
        answers.retain(|&(due, env, ok)| {
            if due > ms {
                return true;
            }
            in_flight[env] -= 1;
            if ok {
                envs[env].accepted(now);
            } else {
                envs[env].throttled(now);
            }
            false
        });
        for (env, rate) in envs.iter_mut().enumerate() {
            while in_flight[env] < 8 && rate.take(now, Lane::Bulk).is_none() {
                in_flight[env] += 1;
                answers.push((ms + 50, env, service.call()));
            }
        }
        ms += 1;
        assert!(ms < from_ms + 3_600_000, "a sweep that never ends");
    }
    ms - from_ms
}

/// Sweeps against one quota: one environment at 10 and at 20 calls a
/// second, two and four environments sharing 10 (each environment's
/// throttles come from the others' calls too: weighed by what it sent, not
/// by what it got through, they still cut its rate). Within 10 % of the
/// quota's time, under 5 % throttled.
#[test]
fn environments_find_their_quota_with_few_throttles() {
    for (environments, quota, calls) in [
        (1, 10.0, 1000),
        (1, 20.0, 2000),
        (2, 10.0, 2000),
        (4, 10.0, 2000),
    ] {
        let mut service = Service::new(Some(quota));
        let mut envs: Vec<Rate> = (0..environments).map(|_| Rate::new(None)).collect();
        let took = sweep(&mut envs, &mut service, 0, calls);
        let quota_ms = (calls as f64 / quota * 1000.0) as u64;
        assert!(
            service.share() < 0.05,
            "{environments} at {quota}/s: throttled share {}",
            service.share()
        );
        assert!(
            took < quota_ms * 11 / 10,
            "{environments} at {quota}/s: {took} ms for {quota_ms} ms of quota"
        );
    }
}

#[test]
fn an_hour_idle_then_a_burst_does_not_storm_the_quota() {
    // An environment that swept at the quota an hour ago, and one that
    // made one call and nothing else: an hour later each sweeps again.
    for warm in [true, false] {
        let mut rate = Rate::new(None);
        let mut service = Service::new(Some(10.0));
        if warm {
            sweep(std::slice::from_mut(&mut rate), &mut service, 0, 300);
        } else {
            let _ = rate.take(Instant::now(), Lane::Interactive);
            service.call();
            rate.accepted(Instant::now());
        }
        let before = rate.rate();
        let mut service = Service::new(Some(10.0));
        let took = sweep(
            std::slice::from_mut(&mut rate),
            &mut service,
            3_600_000,
            200,
        );
        assert!(before.is_finite() && before <= 20.0, "{before}");
        assert!(
            service.share() <= 0.10,
            "warm {warm}: throttled share {}",
            service.share()
        );
        assert!(took < 26_000, "warm {warm}: {took} ms for 20 s of quota");
    }
}

#[test]
fn sparse_calls_one_throttle_then_a_large_sweep_runs_at_full_speed() {
    let t0 = Instant::now();
    let mut rate = Rate::new(None);
    // A call every two seconds for a minute; one of them throttled twice.
    for i in 0..30 {
        let now = at(t0, i as f64 * 2.0);
        assert_eq!(rate.take(now, Lane::Interactive), None);
        if i == 10 {
            rate.throttled(now);
            rate.throttled(at(t0, i as f64 * 2.0 + 0.3));
        }
        rate.accepted(at(t0, i as f64 * 2.0 + 0.6));
    }
    // No quota: 400 calls at 8 in flight of 50 ms is 2.5 s at best.
    let mut service = Service::new(None);
    let took = sweep(std::slice::from_mut(&mut rate), &mut service, 61_000, 400);
    assert!(took < 12_000, "{took} ms");
    assert!(rate.rate() > 60.0, "{}", rate.rate());
}

#[test]
fn steady_interactive_traffic_without_a_quota_never_waits() {
    for per_second in [1.0, 5.0, 10.0, 20.0, 50.0] {
        let t0 = Instant::now();
        let mut rate = Rate::new(None);
        for i in 0..(per_second as usize * 60) {
            let now = at(t0, i as f64 / per_second);
            assert_eq!(
                rate.take(now, Lane::Interactive),
                None,
                "call {i} at {per_second}/s waited"
            );
            rate.accepted(at(t0, i as f64 / per_second + 0.001));
        }
        assert!(rate.rate().is_finite());
    }
}

#[test]
fn interactive_calls_never_wait_behind_a_saturated_sweep() {
    let t0 = Instant::now();
    let mut rate = Rate::new(Some(10.0));
    let mut ms = 0u64;
    let mut interactive_waits = 0;
    while ms < 30_000 {
        let now = at(t0, ms as f64 / 1000.0);
        // Bulk takes every token it may.
        while rate.take(now, Lane::Bulk).is_none() {
            rate.accepted(now);
        }
        if ms % 2000 == 1000 && rate.take(now, Lane::Interactive).is_some() {
            interactive_waits += 1;
        }
        ms += 1;
    }
    assert_eq!(interactive_waits, 0);
}

#[derive(Debug, Clone)]
enum Step {
    Take(bool),
    Accepted,
    Throttled,
}

fn step() -> impl Strategy<Value = (u64, Step)> {
    let gap = prop_oneof![0u64..5, 0u64..2_000, 0u64..100_000_000];
    let what = prop_oneof![
        any::<bool>().prop_map(Step::Take),
        Just(Step::Accepted),
        Just(Step::Throttled),
    ];
    (gap, what)
}

proptest! {
    #[test]
    fn the_rate_stays_finite_positive_and_under_its_cap(
        ceiling in prop_oneof![Just(None), (0.1f64..500.0).prop_map(Some)],
        steps in prop::collection::vec(step(), 1..400),
    ) {
        let t0 = Instant::now();
        let mut r = Rate::new(ceiling);
        let mut ms = 0u64;
        for (gap, what) in steps {
            ms += gap;
            let now = at(t0, ms as f64 / 1000.0);
            match what {
                Step::Take(bulk) => {
                    let lane = if bulk { Lane::Bulk } else { Lane::Interactive };
                    if let Some(wait) = r.take(now, lane) {
                        prop_assert!(wait < Duration::from_secs(60), "{wait:?}");
                    }
                }
                Step::Accepted => r.accepted(now),
                Step::Throttled => r.throttled(now),
            }
            prop_assert!(r.rate().is_finite() && r.rate() > 0.0, "{}", r.rate());
            prop_assert!(r.rate() <= r.cap() + 1e-9, "{} > {}", r.rate(), r.cap());
            prop_assert!(r.tokens.is_finite() && r.tokens <= MAX_BURST);
            if let Some(c) = ceiling {
                prop_assert!(r.rate() <= c + 1e-9);
            }
        }
    }
}

#[tokio::test]
async fn an_interactive_call_that_would_wait_past_its_deadline_is_throttled_at_once() {
    let pacer = Pacer::new(8, Some(0.5), true);
    let deadline = Deadline {
        at: Some(Instant::now() + Duration::from_millis(1500)),
        margin: Duration::from_millis(500),
        lane: Lane::Interactive,
    };
    let op = Operation::GetCodeSecurityScan;
    let call = || async { Ok::<_, Error>(()) };
    // The bucket holds 2: two calls go, the third would wait 2 s.
    for _ in 0..2 {
        pacer
            .run(op, deadline, 3, Duration::ZERO, call)
            .await
            .unwrap();
    }
    let started = Instant::now();
    let e = pacer
        .run(op, deadline, 3, Duration::ZERO, call)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "answered at once"
    );
    assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(e.code(), "ThrottlingException");
}
