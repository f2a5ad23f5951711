//! The hill-climbing controller's tunables, each with its unit, default and
//! origin. The defaults are .NET's (PortableThreadPool.HillClimbing), which
//! were tuned on a wide range of workloads.

use std::time::Duration;

/// Tunables of the throughput controller. C#: the
/// `System.Threading.ThreadPool.HillClimbing.*` runtime settings.
#[derive(Clone, Debug, PartialEq)]
pub struct HillClimbingSettings {
    /// Samples per period of the square wave the controller adds to the
    /// thread count, to measure how throughput responds. Default 4 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.WavePeriod`.
    pub wave_period: usize,
    /// How many wave periods of history the analysis uses. Default 8 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.WaveHistorySize`.
    pub wave_history_size: usize,
    /// The largest amplitude of the probing wave, in threads. Default 20
    /// (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.MaxWaveMagnitude`.
    pub max_wave_magnitude: usize,
    /// Scales the wave amplitude with the measured noise. Default 1.0 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.WaveMagnitudeMultiplier` (in percent).
    pub wave_magnitude_multiplier: f64,
    /// The throughput gain an extra thread must bring, relative to the
    /// average, before the controller counts it as a gain: the bias toward
    /// fewer threads. Default 0.15 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.Bias` (in percent).
    pub target_throughput_ratio: f64,
    /// How far above the noise the measured response must be before the
    /// controller trusts it fully. Default 3.0 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.TargetSignalToNoiseRatio` (in percent).
    pub target_signal_to_noise_ratio: f64,
    /// Most threads added or removed per second of elapsed time. Default 4
    /// (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.MaxChangePerSecond`.
    pub max_change_per_second: f64,
    /// Most threads added or removed in one sample. Default 20 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.MaxChangePerSample`.
    pub max_change_per_sample: f64,
    /// Shortest sampling interval. Default 10 ms (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.SampleIntervalLow` (in ms).
    pub sample_interval_low: Duration,
    /// Longest sampling interval (used when at the minimum with nothing to
    /// gain). Default 200 ms (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.SampleIntervalHigh` (in ms).
    pub sample_interval_high: Duration,
    /// Smoothing of the throughput-noise estimate per sample. Default 0.01
    /// (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.ErrorSmoothingFactor` (in percent).
    pub throughput_error_smoothing: f64,
    /// 1.0 is a linear response; higher values damp small moves and keep
    /// large ones. Default 2.0 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.GainExponent` (in percent).
    pub gain_exponent: f64,
    /// Samples whose noise exceeds this fraction of the average throughput
    /// are not trusted. Default 0.15 (.NET).
    /// C#: `System.Threading.ThreadPool.HillClimbing.MaxSampleErrorPercent`,
    /// which .NET applies to the error of the completion count instead.
    pub max_sample_error: f64,
    /// Decisions kept in the ring log for diagnostics. Default 64.
    pub log_size: usize,
}

impl Default for HillClimbingSettings {
    fn default() -> Self {
        HillClimbingSettings {
            wave_period: 4,
            wave_history_size: 8,
            max_wave_magnitude: 20,
            wave_magnitude_multiplier: 1.0,
            target_throughput_ratio: 0.15,
            target_signal_to_noise_ratio: 3.0,
            max_change_per_second: 4.0,
            max_change_per_sample: 20.0,
            sample_interval_low: Duration::from_millis(10),
            sample_interval_high: Duration::from_millis(200),
            throughput_error_smoothing: 0.01,
            gain_exponent: 2.0,
            max_sample_error: 0.15,
            log_size: 64,
        }
    }
}
