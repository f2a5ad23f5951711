//! Every scheduling heuristic of the pool, as a named setting with its unit,
//! default, and why.

use super::HillClimbingSettings;
use std::time::Duration;

/// The most threads a pool can have. C#: `PortableThreadPool.MaxPossibleThreadCount`
/// (the thread counts are 16-bit fields there, as here).
pub const MAX_POSSIBLE_THREADS: usize = 0x7FFF;

/// Tunables of the thread pool. Defaults come from Tokio's and .NET's
/// measured choices, as each field says; every one can be overridden through
/// [`crate::runtime::Builder`]. C#: the `System.Threading.ThreadPool.*`
/// runtime settings (`MinThreads`, `MaxThreads`, …).
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Worker threads the pool starts with and never retires below: the
    /// minimum thread count. Default: the number of CPUs (.NET's minimum
    /// thread count; Tokio's worker count). C#: `ThreadPool.SetMinThreads`.
    pub workers: usize,
    /// The most threads the pool may have, blocked ones included (at most
    /// [`MAX_POSSIBLE_THREADS`]). Default 32,767 (.NET's default): the
    /// growth is bounded by the delays below, not by this cap. C#:
    /// `ThreadPool.SetMaxThreads`.
    pub max_threads: usize,
    /// A thread above the minimum that found no work for this long exits.
    /// Default 2 s (.NET: 20 s; Tokio's blocking pool: 10 s): starting a
    /// thread costs about 60 µs here (measured, docs/notes/blocking.md), so
    /// even a load that blocks every 2 s re-creates its threads for under
    /// 0.01% of the time, and a burst of blocking gives its threads back
    /// within seconds. C#: `System.Threading.ThreadPool.ThreadTimeoutMs`.
    pub thread_idle_timeout: Duration,
    /// A pool thread that blocks in `wait()`, `result()`, `block_on` or
    /// [`crate::blocking`] tells the pool, which then keeps `workers`
    /// threads running beside the blocked ones. Default: on. C#:
    /// `System.Threading.ThreadPool.Blocking.CooperativeBlocking`.
    pub cooperative_blocking: bool,
    /// Threads added for blocked threads at once, per CPU, beyond the
    /// thread goal; past this, each further thread waits a delay (below).
    /// Default 32 per CPU (.NET: 1 per CPU). A blocked thread uses no CPU,
    /// so compensating for it never oversubscribes the cores while it is
    /// blocked; the allowance only caps how fast a chain of blocking work
    /// (each new thread blocking too) grows the pool. .NET's 1 per CPU
    /// made the blocking benchmark's short tasks wait behind 64 blocked
    /// tasks for hundreds of milliseconds; Tokio adds up to 512 threads for
    /// `spawn_blocking` with no delay at all (32 × 16 CPUs = 512). C#:
    /// `System.Threading.ThreadPool.Blocking.ThreadsToAddWithoutDelay_ProcCountFactor`.
    pub blocking_threads_without_delay_per_core: usize,
    /// Past the allowance, the delay before each further thread grows by
    /// [`blocking_delay_step`](Self::blocking_delay_step) for every this
    /// many threads (per CPU) added. Default 1 (.NET). C#:
    /// `System.Threading.ThreadPool.Blocking.ThreadsPerDelayStep_ProcCountFactor`.
    pub blocking_threads_per_delay_step_per_core: usize,
    /// The delay step. A thread wanted past the allowance starts once it
    /// has been wanted for `blocking_delay_step × (1 + threads already past
    /// the allowance ÷ (blocking_threads_per_delay_step_per_core × CPUs))`,
    /// at most [`blocking_max_delay`](Self::blocking_max_delay), counted
    /// from when the supervisor first sees it wanted after the previous
    /// delayed start: threads past the allowance start at least that far
    /// apart, the first one included. Default 25 ms (.NET). C#:
    /// `System.Threading.ThreadPool.Blocking.DelayStepMs`.
    pub blocking_delay_step: Duration,
    /// The longest delay between two threads added for blocking. Default
    /// 250 ms (.NET). C#: `System.Threading.ThreadPool.Blocking.MaxDelayMs`.
    pub blocking_max_delay: Duration,
    /// A poll that has lasted this long while its thread sleeps in the
    /// kernel (a `std::thread::sleep`, a blocking read, a lock), with work
    /// queued, counts as blocking nobody announced: the supervisor
    /// compensates for it as for `blocking(..)`, and reports the task.
    /// Default 2 ms (a poll is normally microseconds; see
    /// docs/notes/blocking.md for the measurements).
    pub stall_window: Duration,
    /// .NET's starvation rule: work queued and nothing dequeued anywhere
    /// for this long (whatever the threads are doing, CPU-bound work
    /// included) raises the thread goal by one. Default 100 ms (.NET: 500
    /// ms). Blocking in the kernel is caught within `stall_window` already;
    /// what is left for this rule is polls that compute or spin for long,
    /// where an added thread takes CPU from them: 100 ms reacts five times
    /// faster than .NET while a poll that legitimately computes for tens
    /// of milliseconds does not make the pool grow (docs/notes/blocking.md).
    pub starvation_window: Duration,
    /// A poll that has run this long is reported as a slow poll
    /// ([`diag::SlowPollEvent`](crate::diag::SlowPollEvent)): CPU work (or
    /// an unannounced blocking call) hiding in async code, which holds its
    /// worker and delays every task queued behind it. Reported once per
    /// poll, while it still runs, saying whether its thread was on the CPU
    /// or asleep in the kernel. Polls inside an announced blocking section
    /// (`blocking(..)`, `wait()`) are not reported: they said they block.
    /// Default 100 ms: a poll normally takes microseconds, the supervisor
    /// already treats 2 ms asleep as blocked, and 100 ms is the
    /// `starvation_window`, after which the pool adds a thread for queued
    /// work anyway. C#: none (`dotnet-trace` shows long work items).
    pub slow_poll_threshold: Duration,
    /// How long the supervisor waits between looks while the pool is calm:
    /// at its last look every unparked worker had finished a poll since the
    /// look before, and no thread waited for a delayed start. Otherwise it
    /// looks every half `stall_window`. Default 50 ms: a busy HTTP server
    /// that does not block woke its supervisor about 30 times a second (140
    /// at 10 ms, 1,000 with no calm interval; on 2 cores under load, each
    /// wake takes a core from a worker or the load generator: at 10 ms the
    /// HTTP bench's p99 was 2–3% above tokio's, at 50 ms it matched;
    /// docs/notes/blocking.md). The price is
    /// latency, never a false alarm: a stall that begins in a calm stretch
    /// is first seen up to two intervals later, so it is compensated within
    /// about `stall_window` + 2 × this. Capped at half `starvation_window`.
    pub supervisor_calm_interval: Duration,
    /// A blocking wait (`wait()`, `result()`) on a pool thread, for a task
    /// of this pool, while the pool is at `max_threads` with every thread
    /// blocked and work queued that none of them will take, gives up after
    /// this long with a [`crate::context::DeadlockError`] naming the cap,
    /// instead of hanging (the waited task is left as it is). Default 5 s:
    /// the bound after which a blocked dispatcher wait warns
    /// ([`crate::context::JoinableWaitSettings::stall_warning_after`]). A
    /// wait checks every tenth of this (at most every 100 ms). C#: none
    /// (.NET hangs).
    pub exhausted_wait_timeout: Duration,
    /// Lets the hill-climbing controller move the thread goal between the
    /// minimum and the maximum by measured throughput. Default: off (it
    /// made the scheduler suite slower on this machine; see
    /// docs/notes/blocking.md). C#:
    /// `System.Threading.ThreadPool.HillClimbing.Disable`, inverted.
    pub hill_climbing: bool,
    /// The controller's tunables (.NET's defaults). C#:
    /// `System.Threading.ThreadPool.HillClimbing.*`.
    pub hill_climbing_settings: HillClimbingSettings,
    /// A busy worker takes from the global queue first at least once every
    /// this many ticks (a tick: one task plus the LIFO tasks it woke), so
    /// work queued from outside is never starved by local work. Default 61
    /// (Tokio's value: prime, so it does not beat with other periodic work).
    pub global_queue_interval: u32,
    /// ...and at least about this often in time: the interval shrinks (down
    /// to 2 ticks) when ticks are long, so remote work waits about this long
    /// behind busy local work whatever the tasks' length. Default 200 µs
    /// (Tokio's target). Without it, workers running 10 µs tasks took a
    /// remote task only every 2.4 ms (spawn_many_remote_busy2 in the
    /// scheduler bench ran 15× slower than Tokio).
    pub global_queue_latency: Duration,
    /// A task woken by the task running on a worker goes to that worker's
    /// "LIFO slot" and runs next (message passing stays cache-hot). Default:
    /// on.
    pub lifo_slot: bool,
    /// At most this many tasks run back to back from the LIFO slot before it
    /// spills to the back of the local queue, so two tasks waking each other
    /// cannot starve the rest. Default 3 (Tokio's value).
    pub max_lifo_polls: u32,
    /// A busy worker polls the I/O driver (without sleeping) once every
    /// this many tasks, so readiness is seen even when no worker parks.
    /// Default 61 (Tokio's `event_interval`).
    pub event_interval: u32,
    /// Tasks the global queue holds without taking a lock (its lock-free
    /// ring; more spill into a locked list). Default 4096: a burst of
    /// 10,000 remote spawns mostly stays lock-free because workers drain
    /// the ring while it fills (measured with the scheduler bench); 64 KiB
    /// per pool.
    pub global_queue_capacity: usize,
    /// A worker defers up to this many tasks that called `yield_now`
    /// before appending them to its local ring (it also appends them
    /// whenever it reads the global queue, and before it parks). Default 32.
    /// Deferring is what keeps tasks that loop on `yield_now` from crowding
    /// out work queued beside them: with yields appended at once,
    /// `spawn_many_remote_busy1` (scheduler bench) ran 10× Tokio's time.
    pub yield_batch: usize,
    /// Where deferred yields go: `false` (default), the back of the
    /// worker's local ring (Tokio's placement); `true`, the back of the
    /// global queue, in one batch (.NET's `Task.Yield` placement: behind
    /// everything queued from anywhere). Measured on 2 cores, the global
    /// queue made `yield_many` 1.07–1.17× Tokio's time against 0.66–0.84×
    /// for the local ring (docs/notes/blocking.md); the order a yielding
    /// task observes is the same on one worker, since the worker takes
    /// its share of the global queue before it re-queues its yields.
    pub yield_to_global_queue: bool,
    /// Stack size of pool threads, in bytes. Default 2 MiB (Rust's default
    /// for spawned threads).
    pub stack_size: usize,
    /// Name prefix of pool threads.
    pub thread_name: String,
    /// How long dropping a runtime waits for its threads to finish. Default
    /// 1 s: a thread stuck in user code is left to finish on its own.
    pub shutdown_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_threads: MAX_POSSIBLE_THREADS,
            thread_idle_timeout: Duration::from_secs(2),
            cooperative_blocking: true,
            blocking_threads_without_delay_per_core: 32,
            blocking_threads_per_delay_step_per_core: 1,
            blocking_delay_step: Duration::from_millis(25),
            blocking_max_delay: Duration::from_millis(250),
            stall_window: Duration::from_millis(2),
            starvation_window: Duration::from_millis(100),
            supervisor_calm_interval: Duration::from_millis(50),
            slow_poll_threshold: Duration::from_millis(100),
            exhausted_wait_timeout: Duration::from_secs(5),
            hill_climbing: false,
            hill_climbing_settings: HillClimbingSettings::default(),
            global_queue_interval: 61,
            global_queue_latency: Duration::from_micros(200),
            lifo_slot: true,
            max_lifo_polls: 3,
            event_interval: 61,
            global_queue_capacity: 4096,
            yield_batch: 32,
            yield_to_global_queue: false,
            stack_size: 2 * 1024 * 1024,
            thread_name: "tasklane-worker".to_owned(),
            shutdown_timeout: Duration::from_secs(1),
        }
    }
}
