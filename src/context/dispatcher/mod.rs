//! `Dispatcher`: a single-thread message loop, like a UI thread.
//!
//! C#: `System.Windows.Threading.Dispatcher`.
//!
#![doc = include_str!("README.md")]

mod queue;
pub(crate) mod shared;
pub(crate) mod thread;

#[cfg(all(test, loom))]
mod loom_tests;

pub(crate) use queue::Message;
pub(crate) use shared::Shared;

use super::ContextError;
use crate::diag::{UnhandledError, UnhandledErrorHandler};
use crate::runtime::Handle;
use crate::task::header::TaskKind;
use crate::task::schedule::Home;
use crate::task::spawn::{Spawn, Start};
use crate::task::{
    AsyncBody, CancelReason, CanceledError, ClosureBody, Task, TaskCreationOptions, TaskError,
};
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A single-thread message loop: every task homed on it is polled on its
/// thread only, so every `.await` in such a task resumes there — the way an
/// `await` on a WPF or WinForms UI thread resumes on the UI thread. Posted
/// closures and woken tasks run one at a time, in order.
///
/// Start one on a thread of its own ([`Dispatcher::start`]), or make the
/// calling thread one ([`Dispatcher::for_current_thread`]) and
/// [`run`](Dispatcher::run) it there until shut down.
///
/// Handles are cheap clones. When the last handle drops, the dispatcher
/// shuts down (as a `Runtime` does): pending tasks end Canceled. A handle
/// captured by a task homed on the dispatcher keeps it alive; call
/// [`shutdown`](Dispatcher::shutdown) there.
///
/// ```
/// use tasklane::context::Dispatcher;
/// use tasklane::Task;
///
/// let ui = Dispatcher::start("ui").unwrap();
/// let ui_thread = ui.invoke(|| std::thread::current().id()).unwrap();
/// let task = ui.spawn(async move {
///     // Off to the pool for the slow part …
///     let n = Task::run(|| 6 * 7).await.unwrap();
///     // … and back on the UI thread after the await.
///     assert_eq!(std::thread::current().id(), ui_thread);
///     n
/// });
/// assert_eq!(task.result().unwrap(), 42);
/// ui.shutdown();
/// ```
///
/// C#: `System.Windows.Threading.Dispatcher` (with its
/// `DispatcherSynchronizationContext`).
#[derive(Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
    _token: Arc<Token>,
}

/// Shared by every handle; its drop (the last handle gone) asks for
/// shutdown.
pub(crate) struct Token {
    shared: Arc<Shared>,
}

impl Drop for Token {
    fn drop(&mut self) {
        self.shared.request_shutdown();
    }
}

impl Dispatcher {
    fn from_new_shared(shared: Arc<Shared>) -> Dispatcher {
        let token = Arc::new(Token {
            shared: shared.clone(),
        });
        *shared.token.lock().unwrap_or_else(|p| p.into_inner()) = Arc::downgrade(&token);
        Dispatcher {
            shared,
            _token: token,
        }
    }

    /// A handle from the dispatcher's state, if a handle still exists.
    pub(crate) fn from_shared_token(shared: &Shared) -> Option<Dispatcher> {
        let token = shared
            .token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .upgrade()?;
        Some(Dispatcher {
            shared: token.shared.clone(),
            _token: token,
        })
    }

    /// Starts a dispatcher on a new thread named `name`, running its loop
    /// until shut down. Its thread uses the current runtime (else the
    /// default one) for `Task::run` and `configure_await(false)`. C#: a new
    /// thread calling `Dispatcher.Run()`.
    pub fn start(name: impl Into<String>) -> std::io::Result<Dispatcher> {
        let name = name.into();
        let runtime = Handle::current_or_default();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread_name = name.clone();
        std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let shared = Shared::new(name, runtime);
                // A fresh thread owns no dispatcher yet.
                let bound = thread::bind(&shared);
                debug_assert!(bound);
                if tx
                    .send(Dispatcher::from_new_shared(shared.clone()))
                    .is_err()
                {
                    return;
                }
                let _ = shared.run_loop();
            })?;
        rx.recv()
            .map_err(|_| std::io::Error::other("the dispatcher thread ended before starting"))
    }

    /// Makes the calling thread a dispatcher, to be run with
    /// [`run`](Dispatcher::run) (or to be waited on: a blocking wait on this
    /// thread runs the awaited task's queued work). A thread owns at most
    /// one dispatcher. C#: `Dispatcher.CurrentDispatcher` on a new thread.
    pub fn for_current_thread(name: impl Into<String>) -> Result<Dispatcher, ContextError> {
        if let Some(existing) = thread::current_shared() {
            return Err(ContextError::ThreadHasDispatcher {
                existing: existing.name.clone(),
            });
        }
        let shared = Shared::new(name.into(), Handle::current_or_default());
        if !thread::bind(&shared) {
            return Err(ContextError::ThreadHasDispatcher {
                existing: String::from("(unknown)"),
            });
        }
        Ok(Dispatcher::from_new_shared(shared))
    }

    /// The dispatcher the calling thread owns, if any. C#:
    /// `Dispatcher.FromThread(Thread.CurrentThread)`.
    pub fn current() -> Option<Dispatcher> {
        thread::current_shared().and_then(|s| Dispatcher::from_shared_token(&s))
    }

    /// Runs the loop on the calling thread until the dispatcher is shut
    /// down; then cancels what is left. Only on the dispatcher's own thread,
    /// and not while its loop already runs. C#: `Dispatcher.Run()`.
    pub fn run(&self) -> Result<(), ContextError> {
        self.shared.run_loop()
    }

    /// The dispatcher's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// True on the dispatcher's own thread. C#: `Dispatcher.CheckAccess()`.
    pub fn check_access(&self) -> bool {
        self.shared.is_owner_thread()
    }

    /// `Ok` on the dispatcher's own thread, a typed error elsewhere. C#:
    /// `Dispatcher.VerifyAccess()`.
    pub fn verify_access(&self) -> Result<(), ContextError> {
        if self.check_access() {
            Ok(())
        } else {
            Err(self.not_on_thread())
        }
    }

    fn not_on_thread(&self) -> ContextError {
        ContextError::NotOnDispatcherThread {
            dispatcher: self.shared.name.clone(),
        }
    }

    fn home(&self) -> Home {
        Home(self.shared.clone())
    }

    fn spawn_spec(&self, location: &'static Location<'static>) -> Spawn {
        Spawn {
            home: self.home(),
            options: TaskCreationOptions::DENY_CHILD_ATTACH,
            location,
            kind: TaskKind::Work,
            start: Start::Hot,
            name: None,
        }
    }

    /// Runs `future` as a task homed on this dispatcher: every poll, and so
    /// the code after every `.await`, runs on its thread. From any thread.
    /// On a shut-down dispatcher the task ends Canceled. C#: an `async`
    /// method started on the UI thread; `Dispatcher.InvokeAsync(async () =>
    /// …)`.
    ///
    /// A future that is not `Send` cannot be spawned this way:
    ///
    /// ```compile_fail
    /// # let ui = tasklane::context::Dispatcher::start("ui").unwrap();
    /// let counter = std::rc::Rc::new(1);
    /// ui.spawn(async move {
    ///     tasklane::yield_now().await;
    ///     *counter + 1
    /// });
    /// ```
    ///
    /// use [`spawn_local`](Dispatcher::spawn_local) on the dispatcher's
    /// thread instead.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_spec(Location::caller())
            .spawn(AsyncBody::new(future))
    }

    /// Runs a future that is not `Send` as a task pinned to this
    /// dispatcher. Only from the dispatcher's own thread (else a typed
    /// error): the future is created, polled and dropped there and never
    /// moves — `configure_await(false)` leaves it where it is and
    /// `switch_to` elsewhere reports [`ContextError::TaskPinned`]. Its
    /// output must be `Send`, as it may be read and dropped on any thread.
    /// C#: an `async` method started on the UI thread.
    ///
    /// ```
    /// use std::rc::Rc;
    /// use tasklane::context::Dispatcher;
    ///
    /// let ui = Dispatcher::start("ui").unwrap();
    /// let len = ui
    ///     .invoke({
    ///         let ui = ui.clone();
    ///         move || {
    ///             let text = Rc::new(String::from("hello"));
    ///             ui.spawn_local(async move {
    ///                 tasklane::yield_now().await;
    ///                 text.len()
    ///             })
    ///         }
    ///     })
    ///     .unwrap()
    ///     .unwrap();
    /// assert_eq!(len.result().unwrap(), 5);
    /// # ui.shutdown();
    /// ```
    ///
    /// The output may not be `!Send`:
    ///
    /// ```compile_fail
    /// # let ui = tasklane::context::Dispatcher::for_current_thread("ui").unwrap();
    /// let task = ui.spawn_local(async { std::rc::Rc::new(5) });
    /// ```
    ///
    /// and the task of a `!Send` future cannot be handed to another thread
    /// when its output is not `Sync`:
    ///
    /// ```compile_fail
    /// # let ui = tasklane::context::Dispatcher::for_current_thread("ui").unwrap();
    /// let task = ui.spawn_local(async { std::cell::Cell::new(5) }).unwrap();
    /// std::thread::spawn(move || drop(task));
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> Result<Task<F::Output>, ContextError>
    where
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        if !self.check_access() {
            return Err(self.not_on_thread());
        }
        // The task layer checks that this is the dispatcher's thread and pins
        // the task there for good.
        self.spawn_spec(Location::caller())
            .spawn_local(AsyncBody::new(future))
            .map_err(|_| self.not_on_thread())
    }

    /// Runs `f` on this dispatcher and returns its task, without waiting.
    /// C#: `Dispatcher.InvokeAsync(Func<T>)`.
    #[track_caller]
    pub fn invoke_async<R, F>(&self, f: F) -> Task<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_spec(Location::caller())
            .spawn(ClosureBody::new(f))
    }

    /// Runs `f` on this dispatcher and waits for its value: inline when
    /// called on the dispatcher's thread, else queued and waited for (a wait
    /// that reports a deadlock instead of hanging, see
    /// [`crate::context::DeadlockError`]). A panic in `f` is the error. C#:
    /// `Dispatcher.Invoke(Func<T>)`.
    ///
    /// ```
    /// let ui = tasklane::context::Dispatcher::start("ui").unwrap();
    /// assert_eq!(ui.invoke(|| 2 + 2).unwrap(), 4);
    /// assert!(ui.invoke(|| -> u8 { panic!("boom") }).unwrap_err().is_panic());
    /// # ui.shutdown();
    /// ```
    #[track_caller]
    pub fn invoke<R, F>(&self, f: F) -> Result<R, TaskError>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        if self.shared.is_drained() {
            return Err(TaskError::Canceled(CanceledError::with_reason(
                CancelReason::ContextShutdown,
            )));
        }
        if self.shared.is_owner_thread() {
            return catch_unwind(AssertUnwindSafe(f))
                .map_err(|p| TaskError::from_panic_in(p, "a closure invoked on a dispatcher"));
        }
        self.invoke_async(f)
            .into_result()
            .map_err(|agg| agg.first().clone())
    }

    /// Queues `f` to run on this dispatcher, after what is already queued.
    /// It runs under the ExecutionContext captured here; a panic in it goes
    /// to this dispatcher's unhandled-error handler. An error if the
    /// dispatcher was shut down. C#: `Dispatcher.BeginInvoke`,
    /// `SynchronizationContext.Post`.
    #[track_caller]
    pub fn post<F>(&self, f: F) -> Result<(), ContextError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.shared.post_work(Box::new(f), Location::caller())
    }

    /// Asks the dispatcher to stop: its loop finishes the message it runs,
    /// cancels every pending task homed on it, drops queued work, and
    /// returns. Returns at once. C#: `Dispatcher.BeginInvokeShutdown`.
    pub fn shutdown(&self) {
        self.shared.request_shutdown();
    }

    /// Shuts down and waits until the dispatcher has drained, at most
    /// `timeout`; true if it did. A dispatcher made with
    /// `for_current_thread` drains on its own thread (when its loop sees the
    /// request, or when that thread ends). C#: `Dispatcher.InvokeShutdown`.
    pub fn shutdown_timeout(&self, timeout: Duration) -> bool {
        self.shared.request_shutdown();
        if self.shared.is_owner_thread() {
            self.shared.drain();
            return true;
        }
        self.shared.wait_drained(Instant::now() + timeout)
    }

    /// True once shutdown was asked. C#: `Dispatcher.HasShutdownStarted`.
    pub fn has_shutdown_started(&self) -> bool {
        self.shared.shutdown_requested()
    }

    /// True once the dispatcher has drained. C#:
    /// `Dispatcher.HasShutdownFinished`.
    pub fn has_shutdown_finished(&self) -> bool {
        self.shared.is_drained()
    }

    /// Installs the handler for failures of fire-and-forget work that
    /// captured this dispatcher (and for panics in posted closures); it runs
    /// on the dispatcher's thread. Returns the previous handler. Without
    /// one, failures go to the runtime-wide handler. C#:
    /// `Dispatcher.UnhandledException`.
    pub fn set_unhandled_error_handler(
        &self,
        handler: Option<UnhandledErrorHandler>,
    ) -> Option<UnhandledErrorHandler> {
        self.shared.set_handler(handler)
    }

    /// Operations started on this dispatcher's context and not yet
    /// completed (fire-and-forget work, forgotten tasks). C#: what
    /// `OperationStarted`/`OperationCompleted` count.
    pub fn outstanding_operations(&self) -> usize {
        self.shared.outstanding_operations()
    }

    /// Messages (woken tasks, posted closures) waiting in the queue now.
    pub fn queued_messages(&self) -> usize {
        self.shared.queue.len()
    }

    /// Tasks homed on this dispatcher that have not completed.
    pub fn live_tasks(&self) -> usize {
        self.shared.live_tasks()
    }

    /// This dispatcher as a `SynchronizationContext`, to capture or to set
    /// as current elsewhere. C#: `DispatcherSynchronizationContext`.
    pub fn as_context(&self) -> Arc<dyn super::SynchronizationContext> {
        self.shared.clone()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("name", &self.shared.name)
            .field("thread", &self.shared.owner_name)
            .field("queued", &self.shared.queue.len())
            .field("shutdown", &self.shared.shutdown_requested())
            .finish()
    }
}

impl PartialEq for Dispatcher {
    /// Handles are equal when they reach the same dispatcher.
    fn eq(&self, other: &Dispatcher) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for Dispatcher {}

impl super::SynchronizationContext for Dispatcher {
    fn post(&self, work: super::Work) {
        super::SynchronizationContext::post(&*self.shared, work)
    }
    fn send(&self, work: super::Work) -> Result<(), TaskError> {
        self.invoke(work)
    }
    fn operation_started(&self) {
        self.shared.operation_started()
    }
    fn operation_completed(&self) {
        self.shared.operation_completed()
    }
    fn unhandled_error(&self, error: UnhandledError) -> Result<(), UnhandledError> {
        self.shared.unhandled_error(error)
    }
    fn name(&self) -> String {
        self.shared.describe_self()
    }
    fn as_dispatcher(&self) -> Option<Dispatcher> {
        Some(self.clone())
    }
}
