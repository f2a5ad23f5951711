//! Every scheduling heuristic of the pool, as a named setting with its unit,
//! default, and why.

use std::time::Duration;

/// Tunables of the thread pool. Defaults come from Tokio's and .NET's
/// measured choices, as each field says; every one can be overridden through
/// [`crate::runtime::Builder`].
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Worker threads. Default: the number of CPUs (.NET's minimum thread
    /// count; Tokio's worker count).
    pub workers: usize,
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
    /// A worker gathers up to this many tasks that called `yield_now`
    /// before appending them to the global queue in one batch (it also
    /// appends them whenever it reads the global queue itself, and before
    /// it parks). Default 32 (the global queue's batch size). With 1, each
    /// yield goes to the global queue at once; on the scheduler bench that
    /// doubled yield_many's time whenever the two workers shared the
    /// machine with other load.
    pub yield_batch: usize,
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
            global_queue_interval: 61,
            global_queue_latency: Duration::from_micros(200),
            lifo_slot: true,
            max_lifo_polls: 3,
            event_interval: 61,
            global_queue_capacity: 4096,
            yield_batch: 32,
            stack_size: 2 * 1024 * 1024,
            thread_name: "tasklane-worker".to_owned(),
            shutdown_timeout: Duration::from_secs(1),
        }
    }
}
