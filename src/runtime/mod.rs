//! The runtime: a thread pool and its drivers, a handle to reach it from
//! anywhere, `block_on`, and a process-wide default runtime started lazily so
//! `Task::run` works from any thread, as .NET's pool does.

mod block_on;
pub(crate) mod blocking_wait;
mod builder;
mod context;
mod counters;
mod scheduler;
mod task_builder;
mod task_factory;
mod tasks_continue;
mod tasks_factory;
mod tasks_token;
mod wait_cycle;

pub use block_on::block_on;
pub use builder::Builder;
pub use context::EnterGuard;
pub use counters::{RuntimeCounters, counters};
pub use task_builder::TaskBuilder;
pub use task_factory::TaskFactory;

use crate::pool::Shared;
use crate::task::schedule::Home;
use crate::task::spawn::Spawn;
use crate::task::{AsyncBody, ClosureBody, InvalidOperationError, Task, TaskCreationOptions};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A tasklane runtime: a work-stealing thread pool, with its supervisor and
/// I/O driver. Dropping it cancels its pending tasks, stops its threads,
/// and returns within its shutdown timeout (1 s by default); a wait longer
/// than 100 ms is reported, naming the tasks still running and where they
/// were spawned.
///
/// **Dropped on one of its own workers** (moved into one of its tasks), it
/// shuts down the same way but does not wait for that worker, which ends
/// once the task returns: the drop is as quick as from outside.
///
/// Most programs never make one: `Task::run` from a thread outside any
/// runtime uses the process-wide default runtime, started on first use.
///
/// C#: the process's `ThreadPool` and `TaskScheduler.Default` together.
pub struct Runtime {
    handle: Handle,
    /// `shutdown_timeout` already shut the runtime down and waited: the
    /// drop that follows only releases it.
    shut_down: bool,
}

/// A cloneable reference to a runtime, for spawning onto it from anywhere.
/// Outlives the runtime harmlessly: after shutdown, work given to it ends
/// Canceled and `try_` methods return `InvalidOperationError::RuntimeShutdown`.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Runtime {
    /// A runtime with default settings (workers = CPUs).
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new().build()
    }

    /// Starts building a runtime. C#: no direct counterpart (.NET has one pool
    /// per process).
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// A handle to this runtime.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Every live task of this runtime: see [`Handle::dump`].
    pub fn dump(&self) -> crate::diag::TaskDump {
        self.handle.dump()
    }

    /// Runs `future` to completion on this thread, with this runtime as the
    /// current one (so `Task::run` inside goes to its pool). C#:
    /// `task.GetAwaiter().GetResult()` (or `Task.Wait`) in `Main`.
    pub fn block_on<F: IntoFuture>(&self, future: F) -> F::Output {
        let _enter = self.handle.enter();
        block_on(future)
    }

    /// Queues `f` on this runtime's pool. C#: `Task.Run`.
    #[track_caller]
    pub fn run<T, F>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.handle.run(f)
    }

    /// Runs `future` on this runtime's pool. C#: `Task.Run(async () => …)`.
    #[track_caller]
    pub fn run_async<T, F>(&self, future: F) -> Task<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.handle.run_async(future)
    }

    /// Shuts down, waiting at most `timeout` for threads to stop; pending
    /// tasks end Canceled. True if every thread stopped in time.
    ///
    /// Everything the runtime allocated is freed once its last thread has
    /// stopped and the last `Handle` and `Task` of it are dropped; a thread
    /// still running user code past `timeout` frees its share when it
    /// finishes.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> bool {
        self.shut_down = true;
        let all = self.handle.shared.shutdown(Instant::now() + timeout);
        // Counted reports are summed up now: the process may end next.
        crate::diag::emit::flush();
        all
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.shut_down {
            let timeout = self.handle.shared.settings.shutdown_timeout;
            self.handle.shared.shutdown(Instant::now() + timeout);
            crate::diag::emit::flush();
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish()
    }
}

impl Handle {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Handle {
        Handle { shared }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Every live task of this runtime's pool, and the promises they
    /// await: what each waits on, as async stacks, with the deadlocks among
    /// them. Workers keep running while it is taken. See
    /// [`diag::TaskDump`](crate::diag::TaskDump); [`diag::dump`](crate::diag::dump())
    /// covers every runtime and dispatcher. C#: `dotnet-dump`'s `dumpasync`.
    pub fn dump(&self) -> crate::diag::TaskDump {
        let home: Arc<dyn crate::task::schedule::Schedule> = self.shared.clone();
        crate::diag::dump::collect(&[home], false)
    }

    pub(crate) fn home(&self) -> Home {
        Home(self.shared.clone())
    }

    /// The runtime the calling thread is in (a worker, or inside
    /// `block_on`/`enter`), if any.
    pub fn try_current() -> Option<Handle> {
        context::current()
    }

    /// The current runtime, else the process-wide default one (started on
    /// first use). C#: like `TaskScheduler.Current`, which falls back to
    /// `TaskScheduler.Default`.
    pub fn current_or_default() -> Handle {
        context::current().unwrap_or_else(|| default_runtime().handle.clone())
    }

    pub(crate) fn try_current_or_default() -> Option<Handle> {
        Some(Self::current_or_default())
    }

    /// Makes this runtime the current one on this thread until the guard
    /// drops.
    pub fn enter(&self) -> EnterGuard {
        context::enter(self.clone())
    }

    /// The Tokio runtime every thread of this runtime runs inside (feature
    /// `tokio-compat`): spawn on it explicitly, or read its metrics. Inside
    /// a task, `tokio::runtime::Handle::current()` is the same handle. See
    /// [`compat::tokio_bridge`](crate::compat::tokio_bridge).
    #[cfg(feature = "tokio-compat")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio-compat")))]
    pub fn tokio_handle(&self) -> tokio::runtime::Handle {
        self.shared
            .hook()
            .and_then(|h| {
                h.as_any()
                    .downcast_ref::<crate::compat::tokio_bridge::TokioBridge>()
            })
            .map(|b| b.handle().clone())
            .expect("a runtime built with tokio-compat has a Tokio bridge")
    }

    /// True once the runtime has shut down.
    pub fn is_shutdown(&self) -> bool {
        self.shared.is_shutdown()
    }

    /// Queues `f` on this runtime's pool. C#: `Task.Run`.
    #[track_caller]
    pub fn run<T, F>(&self, f: F) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_with(ClosureBody::new(f))
    }

    /// Runs `future` on this runtime's pool. C#: `Task.Run(async () => …)`.
    #[track_caller]
    pub fn run_async<T, F>(&self, future: F) -> Task<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_with(AsyncBody::new(future))
    }

    /// As [`run_async`](Handle::run_async), but a shut-down runtime is an
    /// error instead of a canceled task. C#: `Task.Run(async () => …)`.
    #[track_caller]
    pub fn try_run_async<T, F>(&self, future: F) -> Result<Task<T>, InvalidOperationError>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        if self.is_shutdown() {
            return Err(InvalidOperationError::RuntimeShutdown);
        }
        Ok(self.run_async(future))
    }

    #[track_caller]
    fn spawn_with<T, F>(&self, body: F) -> Task<T>
    where
        F: Future<Output = crate::task::Outcome<T>> + Send + 'static,
        T: Send + 'static,
    {
        Spawn::work_on(
            self.home(),
            TaskCreationOptions::DENY_CHILD_ATTACH,
            Location::caller(),
        )
        .spawn(body)
    }

    /// Runs `future` to completion on this thread with this runtime current.
    /// A shut-down runtime is an error (the future is not polled). C#:
    /// `task.GetAwaiter().GetResult()` (or `Task.Wait`) in `Main`.
    pub fn block_on<F: IntoFuture>(&self, future: F) -> Result<F::Output, InvalidOperationError> {
        if self.is_shutdown() {
            return Err(InvalidOperationError::RuntimeShutdown);
        }
        let _enter = self.enter();
        Ok(block_on(future))
    }

    /// Worker threads of this runtime's pool.
    pub fn worker_count(&self) -> usize {
        self.shared.num_workers()
    }

    /// Tasks of this runtime not yet completed.
    pub fn live_task_count(&self) -> usize {
        self.shared.live_tasks()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("pool", &self.shared.id)
            .field("workers", &self.shared.num_workers())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}

static DEFAULT: OnceLock<Runtime> = OnceLock::new();

/// The process-wide runtime `Task::run` uses outside any other runtime,
/// started on first use with default settings and never shut down. C#: the
/// process's `ThreadPool` behind `TaskScheduler.Default`.
pub fn default_runtime() -> &'static Runtime {
    DEFAULT.get_or_init(|| {
        Builder::new()
            .thread_name("tasklane-default")
            .build()
            .expect("tasklane: could not start the default runtime's threads")
    })
}

/// The home for new pool work: the current runtime's pool, else the
/// default runtime's.
pub(crate) fn current_home() -> Home {
    match context::current_home() {
        Some(h) => h,
        None => default_runtime().handle.home(),
    }
}

/// Runtimes whose state is still allocated: built and not yet freed. A
/// runtime's state is freed once it is shut down (dropped, or
/// `shutdown_timeout`), its threads have stopped, and its last `Handle`
/// and task handle are gone; the process-wide default runtime is never
/// freed. For leak checks in tests. C#: none (one pool per process).
///
/// ```
/// let before = tasklane::diag::live_runtimes();
/// let rt = tasklane::Runtime::builder().worker_threads(1).build().unwrap();
/// assert!(tasklane::diag::live_runtimes() >= before + 1);
/// assert!(rt.shutdown_timeout(std::time::Duration::from_secs(10)));
/// ```
pub fn live_runtimes() -> usize {
    crate::pool::live_pools()
}
