use super::*;

fn at(start: Instant, secs: f64) -> Instant {
    start + Duration::from_secs_f64(secs)
}

#[test]
fn slots_are_one_interval_apart() {
    let t0 = Instant::now();
    let mut r = Rate::new(Some(4.0));
    assert_eq!(r.take(t0), None, "the first slot is free");
    assert_eq!(r.take(t0), Some(Duration::from_millis(250)));
    assert_eq!(r.take(at(t0, 0.25)), None);
    assert!(r.take(at(t0, 0.3)).is_some());
}

#[test]
fn the_ceiling_caps_the_rate_and_is_where_it_starts() {
    let t0 = Instant::now();
    let mut r = Rate::new(Some(3.0));
    for i in 0..100 {
        r.accepted(at(t0, i as f64 * 0.3));
    }
    assert_eq!(r.rate(), 3.0);
    let free = Rate::new(None);
    assert_eq!(free.rate(), START_RATE);
}

#[test]
fn probing_grows_by_half_a_second_then_cuts_to_what_was_accepted() {
    let t0 = Instant::now();
    let mut r = Rate::new(None);
    r.accepted(t0);
    r.accepted(at(t0, 2.0));
    let grown = r.rate();
    assert!((grown - START_RATE * 2.25).abs() < 1e-6, "{grown}");
    // 30 calls accepted in the last two seconds (15 a second: most of the
    // rate, which is about 17 by then): the quota is about there.
    for i in 0..30 {
        r.accepted(at(t0, 2.0 + i as f64 / 15.0));
    }
    r.throttled(at(t0, 4.0));
    let cut = r.rate();
    // 31 in the window, the one at 2.0 s included: 15.5 a second.
    assert!(
        (cut - 15.5 * FIRST_CUT).abs() < 0.01,
        "cut to 70 % of 15.5/s: {cut}"
    );
    // Once a second at most: the calls in flight meet the same empty bucket.
    r.throttled(at(t0, 4.1));
    assert!((r.rate() - cut).abs() < 0.01);
    r.throttled(at(t0, 5.1));
    assert!(r.rate() < cut * CUT + 0.02);
}

#[test]
fn a_throttle_at_low_volume_cuts_the_rate_not_to_the_volume() {
    let t0 = Instant::now();
    let mut r = Rate::new(None);
    r.accepted(t0);
    r.throttled(at(t0, 0.5));
    // One call in two seconds says nothing of the quota.
    let expected = START_RATE * 1.5f64.powf(0.5) * FIRST_CUT;
    assert!((r.rate() - expected).abs() < 0.01, "{}", r.rate());
}

#[test]
fn a_throttle_moves_the_next_slot_away() {
    let t0 = Instant::now();
    let mut r = Rate::new(Some(10.0));
    assert_eq!(r.take(t0), None);
    r.throttled(at(t0, 0.01));
    let wait = r.take(at(t0, 0.02)).expect("must wait after a throttle");
    assert!(wait > Duration::from_millis(90), "{wait:?}");
}

/// Environments sharing a token-bucket quota (rate `quota`, burst `quota`),
/// simulated in steps of 1 ms: each environment sends whenever its pacer
/// gives it a slot; a call takes 50 ms. The share throttled and the rate
/// reached over `calls` calls.
fn simulate(environments: usize, quota: f64, calls: usize) -> (f64, f64) {
    let t0 = Instant::now();
    let mut pacers: Vec<Rate> = (0..environments).map(|_| Rate::new(None)).collect();
    let (mut tokens, mut accepted, mut throttled) = (quota, 0usize, 0usize);
    let mut answers: Vec<(u64, usize, bool)> = Vec::new();
    let mut ms = 0u64;
    while accepted < calls {
        let now = at(t0, ms as f64 / 1000.0);
        tokens = (tokens + quota / 1000.0).min(quota);
        answers.retain(|&(due, env, ok)| {
            if due > ms {
                return true;
            }
            if ok {
                pacers[env].accepted(now);
            } else {
                pacers[env].throttled(now);
            }
            false
        });
        for (env, pacer) in pacers.iter_mut().enumerate() {
            if pacer.take(now).is_none() {
                let ok = tokens >= 1.0;
                if ok {
                    tokens -= 1.0;
                    accepted += 1;
                } else {
                    throttled += 1;
                }
                answers.push((ms + 50, env, ok));
            }
        }
        ms += 1;
    }
    let share = throttled as f64 / (accepted + throttled) as f64;
    (share, accepted as f64 / (ms as f64 / 1000.0))
}

#[test]
fn one_environment_finds_the_quota_with_few_throttles() {
    let (share, rate) = simulate(1, 10.0, 1000);
    assert!(share < 0.05, "throttled share {share}");
    assert!(rate > 9.0, "rate reached {rate}");
}

#[test]
fn four_environments_share_the_quota_with_few_throttles() {
    let (share, rate) = simulate(4, 10.0, 2000);
    assert!(share < 0.05, "throttled share {share}");
    assert!(rate > 9.0, "rate reached {rate}");
}
