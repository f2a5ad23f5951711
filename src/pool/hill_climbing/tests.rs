//! The controller against simulated workloads.

use super::*;

/// Runs the controller against `throughput(threads)` (completions per
/// second, with multiplicative noise `noise`) for `samples` samples.
fn simulate(
    start: usize,
    min: usize,
    max: usize,
    samples: usize,
    noise: f64,
    throughput: impl Fn(usize) -> f64,
) -> (HillClimbing, Vec<usize>) {
    let mut hc = HillClimbing::new(HillClimbingSettings::default(), start);
    let mut threads = start;
    let mut seed = 12345u64;
    let mut history = Vec::new();
    for _ in 0..samples {
        let interval = hc.sample_interval();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let jitter = 1.0 + noise * (((seed >> 33) as f64 / (1u64 << 31) as f64) - 0.5);
        let completions = (throughput(threads) * jitter * interval.as_secs_f64()) as u64;
        let (next, _) = hc.update(threads, interval, completions, min, max);
        threads = next;
        history.push(threads);
    }
    (hc, history)
}

fn tail_average(h: &[usize]) -> f64 {
    let tail = &h[h.len() - h.len() / 4..];
    tail.iter().sum::<usize>() as f64 / tail.len() as f64
}

#[test]
fn climbs_while_threads_add_throughput() {
    // Blocking-bound work: throughput grows with threads up to 16.
    let (_, h) = simulate(2, 2, 64, 600, 0.02, |t| 1000.0 * t.min(16) as f64);
    let avg = tail_average(&h);
    assert!(
        avg > 8.0,
        "should climb toward 16, settled near {avg}: {h:?}"
    );
    assert!(avg < 30.0, "should not run away past the knee: {avg}");
}

#[test]
fn stays_low_when_threads_add_nothing() {
    // CPU-bound on 2 cores: more threads only add overhead.
    let (_, h) = simulate(2, 2, 64, 400, 0.02, |t| 2000.0 - 10.0 * t as f64);
    let avg = tail_average(&h);
    assert!(
        avg < 4.5,
        "should stay near the minimum, averaged {avg}: {h:?}"
    );
}

#[test]
fn never_leaves_its_bounds_or_moves_too_far_at_once() {
    let (hc, h) = simulate(4, 3, 10, 300, 0.3, |t| 500.0 * t as f64);
    assert!(h.iter().all(|&t| (3..=10).contains(&t)), "{h:?}");
    let s = hc.settings();
    for w in h.windows(2) {
        let jump = w[0].abs_diff(w[1]) as f64;
        assert!(
            jump <= s.max_change_per_sample + s.max_wave_magnitude as f64,
            "{w:?}"
        );
    }
}

#[test]
fn logs_recent_decisions_in_a_ring() {
    // Long enough to fill the ring, short enough that it still holds the
    // climb (at the maximum the controller only stabilizes).
    let (hc, _) = simulate(2, 2, 32, 80, 0.02, |t| 100.0 * t as f64);
    let log = hc.log();
    assert_eq!(log.len(), hc.settings().log_size);
    assert!(
        log.windows(2).all(|w| w[0].sample <= w[1].sample),
        "oldest first"
    );
    assert!(log.iter().any(|d| d.transition == Transition::ClimbingMove));
}

#[test]
fn outside_changes_restart_measurement() {
    let mut hc = HillClimbing::new(HillClimbingSettings::default(), 2);
    hc.force_change(6, Transition::Starvation);
    let last = *hc.log().last().unwrap();
    assert_eq!(
        (last.from, last.to, last.transition),
        (2, 6, Transition::Starvation)
    );
    let (next, _) = hc.update(6, Duration::from_millis(10), 100, 2, 64);
    assert!(next >= 6, "starts from the forced count: {next}");
}

#[test]
fn short_samples_are_accumulated() {
    let mut hc = HillClimbing::new(HillClimbingSettings::default(), 2);
    let before = hc.log().len();
    let (t, _) = hc.update(2, Duration::from_micros(100), 1, 2, 8);
    assert_eq!(t, 2);
    assert_eq!(hc.log().len(), before, "too short to count as a sample");
}
