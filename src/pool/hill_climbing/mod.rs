//! Hill climbing: a throughput controller that chooses how many threads the
//! pool should run by probing — it moves the thread count in a small square
//! wave, measures how completions per second follow the wave (a Goertzel
//! filter at the wave's frequency), and climbs toward the count where extra
//! threads stop paying for themselves, with a bias toward fewer threads.
//!
//! This is .NET's algorithm (PortableThreadPool.HillClimbing), rewritten:
//! the same tunables and defaults ([`HillClimbingSettings`]), a pure
//! function of its inputs (thread count, sample duration, completions), and a
//! ring log of its recent decisions for diagnostics. Where it differs from
//! .NET, on purpose:
//!
//! - `max_sample_error` is a noise threshold: a sample noisier than it does
//!   not move the count (.NET uses it for the completion-count error and
//!   keeps collecting);
//! - a sample shorter than half the interval is merged into the next one;
//! - a step is the measured response scaled by the current thread count,
//!   then clamped to `max_change_per_sample` and to `max_change_per_second`
//!   × the time since the last change (.NET multiplies the response by that
//!   limit instead);
//! - there is no CPU-utilization check (.NET refuses moves above 95% CPU):
//!   the pool has no portable CPU-usage reading, and the controller is off
//!   by default (docs/notes/blocking.md).
//!
//! C#: `System.Threading.PortableThreadPool.HillClimbing`.

mod goertzel;
mod settings;

pub use settings::HillClimbingSettings;

use goertzel::{Complex, component};
use std::collections::VecDeque;
use std::time::Duration;

/// Why the controller changed (or kept) the thread count. C#:
/// `HillClimbing.StateOrTransition` (a subset).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Not enough samples yet to measure anything.
    Warmup,
    /// The thread count was changed from outside the controller: a new
    /// minimum or maximum moved the goal
    /// ([`Handle::set_min_threads`](crate::Handle::set_min_threads),
    /// [`set_max_threads`](crate::Handle::set_max_threads)), or
    /// [`update`](HillClimbing::update) was given a thread count other than
    /// the one it last chose. Measuring restarts there. (Threads added for
    /// blocked ones never change the goal, so they are not logged.)
    Initializing,
    /// A move up or down the throughput curve.
    ClimbingMove,
    /// The measurement was too noisy, or the gain too small, to move.
    Stabilizing,
    /// The supervisor's starvation rule raised the goal by one.
    Starvation,
    /// A thread retired after being idle.
    ThreadTimedOut,
}

/// One entry of the controller's ring log. C#: `HillClimbing.LogEntry`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Decision {
    /// The sample number this decision was made at.
    pub sample: u64,
    /// Threads before the decision.
    pub from: usize,
    /// Threads after it.
    pub to: usize,
    /// Completions per second measured in the sample.
    pub throughput: f64,
    /// How much the controller trusted the measurement (0..=1).
    pub confidence: f64,
    /// Why.
    pub transition: Transition,
}

/// The throughput controller. Feed it one sample at a time with
/// [`update`](HillClimbing::update); it answers with the thread count to run
/// and how long to sample next. C#: `PortableThreadPool.HillClimbing`.
#[derive(Debug)]
pub struct HillClimbing {
    settings: HillClimbingSettings,
    /// Throughput samples (a ring of `wave_period * wave_history_size`).
    samples: Vec<f64>,
    /// The thread count during each sample (same ring).
    thread_counts: Vec<f64>,
    total_samples: u64,
    /// The thread count the controller aims at, before the probing wave.
    control: f64,
    last_thread_count: usize,
    average_noise: f64,
    seconds_since_change: f64,
    accumulated_completions: u64,
    accumulated_seconds: f64,
    sample_interval: Duration,
    rng: u64,
    log: VecDeque<Decision>,
}

impl HillClimbing {
    /// A controller starting at `initial_threads`. C#: the `HillClimbing`
    /// constructor.
    pub fn new(settings: HillClimbingSettings, initial_threads: usize) -> HillClimbing {
        let n = (settings.wave_period * settings.wave_history_size)
            .max(settings.wave_period)
            .max(2);
        let interval = settings.sample_interval_low;
        HillClimbing {
            samples: vec![0.0; n],
            thread_counts: vec![0.0; n],
            total_samples: 0,
            control: initial_threads as f64,
            last_thread_count: initial_threads,
            average_noise: 0.0,
            seconds_since_change: 0.0,
            accumulated_completions: 0,
            accumulated_seconds: 0.0,
            sample_interval: interval,
            rng: 0x2545_F491_4F6C_DD1D,
            log: VecDeque::with_capacity(settings.log_size),
            settings,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &HillClimbingSettings {
        &self.settings
    }

    /// The recent decisions, oldest first. C#: the `_log` ring that SOS's
    /// `ThreadPool` command prints.
    pub fn log(&self) -> Vec<Decision> {
        self.log.iter().copied().collect()
    }

    /// How long the next sample should last.
    pub fn sample_interval(&self) -> Duration {
        self.sample_interval
    }

    /// Records that the thread count was changed from outside the
    /// controller, and why: the starvation rule raised the goal
    /// ([`Transition::Starvation`]), a thread retired after idling
    /// ([`Transition::ThreadTimedOut`]), or new limits moved it
    /// ([`Transition::Initializing`]). The controller starts measuring
    /// again from `threads`. C#: `HillClimbing.ForceChange`.
    pub fn force_change(&mut self, threads: usize, transition: Transition) {
        if threads == self.last_thread_count {
            return;
        }
        self.record(self.last_thread_count, threads, 0.0, 0.0, transition);
        self.control = threads as f64;
        self.last_thread_count = threads;
        self.seconds_since_change = 0.0;
    }

    /// One sample: `completions` work items finished during `duration` with
    /// `threads` running. Returns the thread count to run next (within
    /// `[min, max]`) and how long to sample next. C#: `HillClimbing.Update`.
    pub fn update(
        &mut self,
        threads: usize,
        duration: Duration,
        completions: u64,
        min: usize,
        max: usize,
    ) -> (usize, Duration) {
        let (min, max) = (min.max(1), max.max(min.max(1)));
        if threads != self.last_thread_count {
            self.force_change(threads, Transition::Initializing);
        }
        let secs = duration.as_secs_f64() + self.accumulated_seconds;
        let completions = completions + self.accumulated_completions;
        // A sample much shorter than asked (a timer fired early, the pool was
        // idle) is merged into the next one.
        if secs < self.sample_interval.as_secs_f64() / 2.0 {
            self.accumulated_seconds = secs;
            self.accumulated_completions = completions;
            return (threads, self.sample_interval);
        }
        self.accumulated_seconds = 0.0;
        self.accumulated_completions = 0;
        self.seconds_since_change += secs;

        let throughput = completions as f64 / secs;
        let n = self.samples.len();
        let slot = (self.total_samples % n as u64) as usize;
        self.samples[slot] = throughput;
        self.thread_counts[slot] = threads as f64;
        self.total_samples += 1;

        let (step, confidence, transition, ratio) = self.analyze();
        let mut control = self.control + step;
        control = control.clamp(min as f64, max as f64);
        self.control = control;

        // The probing wave: +magnitude every other half period.
        let s = self.settings.clone();
        let magnitude = (control
            * self.average_noise
            * s.target_signal_to_noise_ratio
            * s.wave_magnitude_multiplier
            * 2.0)
            .round()
            .clamp(1.0, s.max_wave_magnitude as f64) as usize;
        let half = (s.wave_period / 2).max(1) as u64;
        let high = (self.total_samples / half) % 2 == 1;
        let mut next = control.round() as usize + if high { magnitude } else { 0 };
        next = next.clamp(min, max);

        if next != threads {
            self.seconds_since_change = 0.0;
        }
        self.record(threads, next, throughput, confidence, transition);
        self.last_thread_count = next;

        // Sample slowly when at the minimum with nothing to gain; otherwise
        // at a random interval between low and high, so the wave does not
        // lock onto a periodic load.
        let (lo, hi) = (s.sample_interval_low, s.sample_interval_high);
        self.sample_interval = if ratio < 0.0 && next == min {
            lo.mul_f64(10.0 * (-ratio).min(1.0)).clamp(lo, hi)
        } else {
            let r = self.next_random();
            lo + (hi - lo).mul_f64(r)
        };
        (next, self.sample_interval)
    }

    /// Reads the throughput response to the wave: (thread step, confidence,
    /// why, response ratio).
    fn analyze(&mut self) -> (f64, f64, Transition, f64) {
        let s = &self.settings;
        let wp = s.wave_period.max(2);
        let n = self.samples.len() as u64;
        let count = ((self.total_samples.saturating_sub(1)).min(n) as usize / wp) * wp;
        if count <= wp {
            return (0.0, 0.0, Transition::Warmup, 0.0);
        }
        let start = self.total_samples - count as u64;
        fn window(ring: &[f64], start: u64, count: usize) -> impl Iterator<Item = f64> + '_ {
            let n = ring.len() as u64;
            (0..count as u64).map(move |k| ring[((start + k) % n) as usize])
        }
        let window = |ring| window(ring, start, count);
        let avg_throughput = window(&self.samples).sum::<f64>() / count as f64;
        let avg_threads = window(&self.thread_counts).sum::<f64>() / count as f64;
        if avg_throughput <= 0.0 || avg_threads <= 0.0 {
            return (0.0, 0.0, Transition::Stabilizing, 0.0);
        }
        let norm = |c: Complex, avg: f64| c.scale(1.0 / (count as f64 * avg));
        let thr = norm(component(window(&self.samples), wp as f64), avg_throughput);
        let thd = norm(
            component(window(&self.thread_counts), wp as f64),
            avg_threads,
        );
        // Noise: the strength at the neighbouring frequencies, where the wave
        // has nothing.
        let periods = (count / wp) as f64;
        let adj1 = count as f64 / (periods + 1.0);
        let adj2 = count as f64 / (periods - 1.0).max(1.0);
        let noise = norm(component(window(&self.samples), adj1), avg_throughput)
            .abs()
            .max(norm(component(window(&self.samples), adj2), avg_throughput).abs());
        self.average_noise = if self.average_noise == 0.0 {
            noise
        } else {
            s.throughput_error_smoothing * noise
                + (1.0 - s.throughput_error_smoothing) * self.average_noise
        };
        if thd.abs() == 0.0 {
            return (0.0, 0.0, Transition::Stabilizing, 0.0);
        }
        // Relative throughput change per relative thread change, minus the
        // gain an extra thread must bring (the bias toward fewer threads).
        let ratio = thr.sub(thd.scale(s.target_throughput_ratio)).div(thd).re;
        let noise_floor = self.average_noise.max(noise);
        let confidence = if noise_floor > 0.0 {
            (thd.abs() / noise_floor / s.target_signal_to_noise_ratio).min(1.0)
        } else {
            1.0
        };
        if noise > s.max_sample_error && confidence < 1.0 {
            return (0.0, confidence, Transition::Stabilizing, ratio);
        }
        let mut step = ratio.clamp(-1.0, 1.0) * confidence;
        step = step.abs().powf(s.gain_exponent) * step.signum();
        let limit = s
            .max_change_per_sample
            .min(s.max_change_per_second * self.seconds_since_change.max(0.0));
        step = (step * self.control.max(1.0)).clamp(-limit, limit);
        let transition = if step.abs() < 0.5 {
            Transition::Stabilizing
        } else {
            Transition::ClimbingMove
        };
        (step, confidence, transition, ratio)
    }

    fn record(
        &mut self,
        from: usize,
        to: usize,
        throughput: f64,
        confidence: f64,
        transition: Transition,
    ) {
        if self.settings.log_size == 0 {
            return;
        }
        if self.log.len() == self.settings.log_size {
            self.log.pop_front();
        }
        self.log.push_back(Decision {
            sample: self.total_samples,
            from,
            to,
            throughput,
            confidence,
            transition,
        });
    }

    fn next_random(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests;
