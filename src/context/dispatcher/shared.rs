//! The state of one dispatcher, shared by its handles, its thread and the
//! tasks homed on it; its `Schedule` and `SynchronizationContext` faces.

use super::queue::{Message, MessageQueue, Posted};
use crate::context::sync_context::{SynchronizationContext, Work};
use crate::context::{ContextError, ExecutionContext};
use crate::diag::{ErrorOrigin, UnhandledError};
use crate::runtime::Handle;
use crate::task::raw::{Notified, RawTask, TaskRef};
use crate::task::registry::Registry;
use crate::task::schedule::{Hint, Schedule};
use crate::task::{CancelReason, TaskError};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::thread::ThreadId;
use std::time::Instant;

/// Locks a std mutex, ignoring poisoning (no user code runs under these
/// locks).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

use crate::diag::UnhandledErrorHandler as ErrorHandler;

pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) queue: MessageQueue,
    registry: Registry,
    owner: ThreadId,
    pub(crate) owner_name: String,
    /// The runtime whose pool `Task::run` and `configure_await(false)` use
    /// from this dispatcher's thread.
    pub(crate) runtime: Handle,
    shutdown_requested: AtomicBool,
    drained: Mutex<bool>,
    drained_cv: Condvar,
    running: AtomicBool,
    handler: RwLock<Option<ErrorHandler>>,
    operations: AtomicUsize,
    /// The handles' shared token (see `Dispatcher`); weak, so the thread
    /// does not keep its own dispatcher alive.
    pub(crate) token: Mutex<Weak<super::Token>>,
    /// The run number of the posted closure the owner thread runs now (0:
    /// none): each run takes the next number. Written and read by the owner
    /// thread only (an atomic for `Sync`, never contended).
    running_post: AtomicU64,
    /// The last run number given out (owner thread only).
    last_run: AtomicU64,
}

impl Shared {
    /// A dispatcher owned by the calling thread.
    pub(crate) fn new(name: String, runtime: Handle) -> Arc<Shared> {
        // A wait on a dispatcher thread runs the awaited task's chain.
        crate::runtime::blocking_wait::install();
        let current = std::thread::current();
        let shared = Arc::new(Shared {
            name,
            queue: MessageQueue::new(),
            registry: Registry::new(1),
            owner: current.id(),
            owner_name: current
                .name()
                .map_or_else(|| format!("{:?}", current.id()), str::to_owned),
            runtime,
            shutdown_requested: AtomicBool::new(false),
            drained: Mutex::new(false),
            drained_cv: Condvar::new(),
            running: AtomicBool::new(false),
            handler: RwLock::new(None),
            operations: AtomicUsize::new(0),
            token: Mutex::new(Weak::new()),
            running_post: AtomicU64::new(0),
            last_run: AtomicU64::new(0),
        });
        crate::task::directory::list(&shared);
        shared
    }

    pub(crate) fn is_owner_thread(&self) -> bool {
        std::thread::current().id() == self.owner
    }

    pub(crate) fn describe_self(&self) -> String {
        format!("dispatcher '{}'", self.name)
    }

    pub(crate) fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::Acquire)
    }

    pub(crate) fn is_drained(&self) -> bool {
        *lock(&self.drained)
    }

    /// Asks the dispatcher to stop: its loop drains and returns. On the
    /// owner thread outside the loop, drains now.
    pub(crate) fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::Release);
        self.queue.signal();
        if self.is_owner_thread() && !self.running.load(Ordering::Acquire) {
            self.drain();
        }
    }

    /// Owner thread only: cancels every task homed here, drops every queued
    /// message, and forgets the thread. Idempotent.
    pub(crate) fn drain(&self) {
        if self.is_owner_thread() {
            self.drain_on_owner_thread();
        }
    }

    /// `drain` for a caller that knows it runs on the owner thread (the
    /// thread-local destructor, where `thread::current` may no longer be
    /// reachable).
    pub(crate) fn drain_on_owner_thread(&self) {
        self.shutdown_requested.store(true, Ordering::Release);
        if self.is_drained() {
            return;
        }
        // Cancelling runs completions, which may queue more messages here;
        // they are dropped with the rest when the queue closes.
        self.registry
            .close_and_drain(|task| task.raw().shutdown(CancelReason::ContextShutdown));
        let left = self.queue.close();
        drop(left);
        *lock(&self.drained) = true;
        self.drained_cv.notify_all();
        super::thread::unbind(self);
    }

    /// Waits until drained, or until `deadline`; true if drained.
    pub(crate) fn wait_drained(&self, deadline: Instant) -> bool {
        let mut g = lock(&self.drained);
        while !*g {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            g = self
                .drained_cv
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// The message loop. Owner thread only.
    pub(crate) fn run_loop(&self) -> Result<(), ContextError> {
        if !self.is_owner_thread() {
            return Err(ContextError::NotOnDispatcherThread {
                dispatcher: self.name.clone(),
            });
        }
        if self.is_drained() {
            return Err(ContextError::ShutDown {
                context: self.describe_self(),
            });
        }
        if self.running.swap(true, Ordering::AcqRel) {
            return Err(ContextError::AlreadyRunning {
                dispatcher: self.name.clone(),
            });
        }
        struct Stop<'a>(&'a Shared);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.running.store(false, Ordering::Release);
                self.0.drain();
            }
        }
        let _stop = Stop(self);
        let _runtime = self.runtime.enter();
        // The runtime's thread hook (Tokio's context, with `tokio-compat`)
        // for every task the loop polls.
        self.runtime.shared().run_in_hook(|| {
            while !self.shutdown_requested() {
                let epoch = self.queue.epoch();
                match self.queue.pop() {
                    Some(message) => self.run_message(message),
                    None => self.queue.wait(epoch, None),
                }
            }
        });
        Ok(())
    }

    /// Runs one message on the owner thread.
    pub(crate) fn run_message(&self, message: Message) {
        match message {
            // The task cell catches its future's panics.
            Message::Task(task) => task.run(),
            Message::Post(posted) => self.run_posted(posted),
        }
    }

    fn run_posted(&self, posted: Posted) {
        let Posted {
            work,
            context,
            origin,
            location,
            posted_during: _,
        } = posted;
        drop(origin);
        let run = self.last_run.load(Ordering::Relaxed) + 1;
        self.last_run.store(run, Ordering::Relaxed);
        let outer = self.running_post.swap(run, Ordering::Relaxed);
        let ran = catch_unwind(AssertUnwindSafe(|| context.run(work)));
        self.running_post.store(outer, Ordering::Relaxed);
        if let Err(panic) = ran {
            self.handle_here(UnhandledError {
                error: TaskError::from_panic_in(panic, ErrorOrigin::PostedWork.what_panicked()),
                origin: ErrorOrigin::PostedWork,
                location,
                task_id: None,
                context: Some(self.describe_self()),
            });
        }
    }

    /// On the owner thread: gives an unhandled error to this dispatcher's
    /// handler, else to the runtime-wide one.
    fn handle_here(&self, error: UnhandledError) {
        let handler = self
            .handler
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match handler {
            Some(h) => {
                if let Err(panic) = catch_unwind(AssertUnwindSafe(|| h(&error))) {
                    crate::diag::unhandled::report(&UnhandledError {
                        error: TaskError::from_panic_in(
                            panic,
                            "the dispatcher's unhandled-error handler",
                        ),
                        origin: ErrorOrigin::Handler,
                        location: Location::caller(),
                        task_id: None,
                        context: Some(format!(
                            "the unhandled-error handler of {}",
                            self.describe_self()
                        )),
                    });
                }
            }
            None => crate::diag::unhandled::report(&error),
        }
    }

    pub(crate) fn set_handler(&self, handler: Option<ErrorHandler>) -> Option<ErrorHandler> {
        let mut g = self.handler.write().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *g, handler)
    }

    /// Queues a closure, capturing the ExecutionContext and the posting
    /// task.
    pub(crate) fn post_work(
        &self,
        work: Work,
        location: &'static Location<'static>,
    ) -> Result<(), ContextError> {
        let origin = crate::task::current::current().map(TaskRef::new_ref);
        let posted_during = if origin.is_none() {
            self.running_post()
        } else {
            None
        };
        let posted = Posted {
            work,
            context: ExecutionContext::capture(),
            origin,
            location,
            posted_during,
        };
        self.queue
            .push(Message::Post(posted))
            .map_err(|_| ContextError::ShutDown {
                context: self.describe_self(),
            })
    }

    /// On the owner thread, the run number of the posted closure it runs
    /// now.
    pub(crate) fn running_post(&self) -> Option<u64> {
        if !super::thread::owns(self) {
            return None;
        }
        match self.running_post.load(Ordering::Relaxed) {
            0 => None,
            run => Some(run),
        }
    }

    pub(crate) fn outstanding_operations(&self) -> usize {
        self.operations.load(Ordering::Acquire)
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.registry.len()
    }
}

impl Schedule for Shared {
    fn registry(&self) -> &crate::task::registry::Registry {
        &self.registry
    }

    fn schedule(&self, task: Notified, _hint: Hint) {
        // Every hint means the same here: the back of the one queue (so
        // `yield_now` posts behind the work already waiting).
        crate::diag::counters::scheduled();
        if let Err(message) = self.queue.push(Message::Task(task)) {
            // Closed: the task was cancelled when the dispatcher drained;
            // only this ref goes.
            drop(message);
        }
    }

    fn bind(&self, task: RawTask) -> bool {
        self.registry.insert(task)
    }

    fn release(&self, task: RawTask) -> Option<TaskRef> {
        self.registry.remove(task)
    }

    fn is_current(&self) -> bool {
        self.is_owner_thread() && !self.is_drained()
    }

    fn describe(&self) -> String {
        self.describe_self()
    }

    fn polls_on_one_thread(&self) -> bool {
        // Tasks homed here are polled only by the owner thread's loop (or its
        // joinable waits), and drained on it (thread.rs).
        true
    }

    fn shutdown_reason(&self) -> CancelReason {
        CancelReason::ContextShutdown
    }
}

impl SynchronizationContext for Shared {
    fn post(&self, work: Work) {
        if let Err(e) = self.post_work(work, Location::caller()) {
            tracing::debug!(error = %e, "work posted to a shut-down dispatcher was dropped");
        }
    }

    fn send(&self, work: Work) -> Result<(), TaskError> {
        match self.as_dispatcher() {
            Some(d) => d.invoke(work),
            None => Err(TaskError::Canceled(
                crate::task::CanceledError::with_reason(CancelReason::ContextShutdown),
            )),
        }
    }

    fn operation_started(&self) {
        self.operations.fetch_add(1, Ordering::AcqRel);
    }

    fn operation_completed(&self) {
        let _ = self
            .operations
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }

    fn unhandled_error(&self, error: UnhandledError) -> Result<(), UnhandledError> {
        let Some(handler) = self
            .handler
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return Err(error);
        };
        // As .NET posts an async void method's exception to its context, the
        // handler runs on the dispatcher's thread.
        let for_handler = error.clone();
        let posted = self.post_work(Box::new(move || handler(&for_handler)), error.location);
        match posted {
            Ok(()) => Ok(()),
            Err(_) => Err(error),
        }
    }

    fn name(&self) -> String {
        self.describe_self()
    }

    fn as_dispatcher(&self) -> Option<super::Dispatcher> {
        super::Dispatcher::from_shared_token(self)
    }
}
