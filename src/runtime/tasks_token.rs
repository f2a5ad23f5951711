//! Tasks started with a token: `Task::run_with_token` and friends.
//!
//! .NET's rule: work started with a token that is already cancelled ends
//! Canceled and never runs; a body that ends with the canceled error of that
//! same token, once it is signalled, ends Canceled; any other cancellation
//! is a fault.

use crate::cancel::{CancellationToken, CancellationTokenRegistration};
use crate::task::BoxError;
use crate::task::cell::Outcome;
use crate::task::raw::TaskRef;
use crate::task::schedule::Home;
use crate::task::spawn::Spawn;
use crate::task::{
    AggregateError, AsyncBody, CanceledError, ClosureBody, ContinuationBody, ContinuationOptions,
    Task, TaskCreationOptions, TaskError, TryClosureBody, work_error,
};
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Where the registration that cancels a not-yet-started task waits until
/// the task first runs (and no longer needs it).
enum Slot {
    /// The spawner has not stored the registration yet.
    Empty,
    /// The registration, until the first poll drops it.
    Held(CancellationTokenRegistration),
    /// The task started (or is gone): a registration arriving late is
    /// dropped at once.
    Started,
}

type SharedSlot = Arc<Mutex<Slot>>;

fn take_slot(slot: &SharedSlot) -> Option<CancellationTokenRegistration> {
    let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
    match std::mem::replace(&mut *g, Slot::Started) {
        Slot::Held(r) => Some(r),
        Slot::Empty | Slot::Started => None,
    }
}

pin_project_lite::pin_project! {
    /// Ends the task Canceled without polling the body if the token was
    /// cancelled before the task first ran; on the first poll, drops the
    /// registration through which the token cancels a queued task.
    struct TokenGate<B> {
        #[pin]
        body: B,
        token: CancellationToken,
        started: bool,
        slot: SharedSlot,
    }
}

impl<B, T> Future for TokenGate<B>
where
    B: Future<Output = Outcome<T>>,
{
    type Output = Outcome<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let this = self.project();
        if !*this.started {
            *this.started = true;
            // Running now: the token is only cooperative from here on. The
            // registration is dropped outside the slot's lock (its drop may
            // wait for a callback running on another thread, which finds the
            // task running and does nothing).
            drop(take_slot(this.slot));
            if this.token.is_cancellation_requested() {
                return Poll::Ready(Err(canceled(this.token)));
            }
        }
        this.body.poll(cx)
    }
}

fn canceled(token: &CancellationToken) -> AggregateError {
    AggregateError::one(TaskError::Canceled(CanceledError::with_token(
        token.clone(),
    )))
}

pin_project_lite::pin_project! {
    /// A fallible future whose errors follow the token rule.
    pub(crate) struct TokenAsyncBody<Fut> {
        #[pin]
        pub(crate) fut: Fut,
        pub(crate) token: CancellationToken,
    }
}

impl<Fut, T, E> Future for TokenAsyncBody<Fut>
where
    Fut: Future<Output = Result<T, E>>,
    E: Into<BoxError> + 'static,
{
    type Output = Outcome<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<T>> {
        let this = self.project();
        let token = this.token;
        this.fut
            .poll(cx)
            .map(|r| r.map_err(|e| AggregateError::one(work_error(TaskError::new(e), Some(token)))))
    }
}

/// While `task` has not started, lets `token` cancel it at once (the
/// callback claims the task only if it was never polled). A deliberate
/// improvement over .NET, which leaves a queued task WaitingToRun until a
/// worker dequeues it, and only then marks it Canceled without running it. The registration waits in `slot`, which the task's
/// [`TokenGate`] empties when it first runs.
fn arm<T>(task: &Task<T>, token: &CancellationToken, slot: &SharedSlot, home: Home) {
    if task.is_completed() || !token.can_be_canceled() {
        return;
    }
    let target = TaskRef::new_ref(task.raw());
    let fired = token.clone();
    let registration = token.register_internal(move || {
        // A user scheduler is asked to take a queued task back first (C#'s
        // `TryDequeue`); one it keeps ends Canceled unrun when it runs it.
        if home.0.try_dequeue(target.raw()) {
            target
                .raw()
                .cancel_if_unstarted(CanceledError::with_token(fired));
        }
    });
    let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
    match *g {
        Slot::Empty => *g = Slot::Held(registration),
        // Already running (or done): the registration is not needed.
        Slot::Started | Slot::Held(_) => {
            drop(g);
            drop(registration);
        }
    }
}

/// `body`, ended Canceled unpolled if `token` fired before it first ran.
fn gate<B>(body: B, token: &CancellationToken) -> (TokenGate<B>, SharedSlot) {
    let slot: SharedSlot = Arc::new(Mutex::new(Slot::Empty));
    let gate = TokenGate {
        body,
        token: token.clone(),
        started: false,
        slot: slot.clone(),
    };
    (gate, slot)
}

impl<T: Send + 'static> Task<T> {
    #[track_caller]
    fn spawn_gated<B>(body: B, token: &CancellationToken) -> Task<T>
    where
        B: Future<Output = Outcome<T>> + Send + 'static,
    {
        if token.is_cancellation_requested() {
            return Task::canceled_by(token.clone());
        }
        Self::spawn_gated_on(
            Spawn::work(TaskCreationOptions::DENY_CHILD_ATTACH, Location::caller()),
            body,
            token,
        )
    }

    /// Spawns `body` as `spawn` says, gated by `token` (see [`arm`]).
    pub(crate) fn spawn_gated_on<B>(spawn: Spawn, body: B, token: &CancellationToken) -> Task<T>
    where
        B: Future<Output = Outcome<T>> + Send + 'static,
    {
        if token.is_cancellation_requested() {
            return Task::canceled_by(token.clone());
        }
        let (gated, slot) = gate(body, token);
        let home = spawn.home.clone();
        let task = spawn.spawn(gated);
        arm(&task, token, &slot, home);
        task
    }

    /// Queues `f` on the pool, unless `token` is cancelled first: if it
    /// already is, the task is Canceled at once; if it is cancelled while the
    /// task is still queued, the task ends Canceled the moment the token
    /// fires (its continuations run then) and `f` never runs. Once `f` runs,
    /// the token is only cooperative. C#: `Task.Run(Func<T>,
    /// CancellationToken)` — where a task canceled while queued stays
    /// WaitingToRun until a worker reaches it: tasklane ending it at once is
    /// a deliberate improvement (its awaiters need not wait for a busy pool).
    ///
    /// ```
    /// use tasklane::{CancellationTokenSource, Task};
    /// let cts = CancellationTokenSource::new();
    /// cts.cancel().unwrap();
    /// let t = Task::run_with_token(|| unreachable!("never runs"), &cts.token());
    /// assert!(t.is_canceled());
    /// # let _: Task<()> = t;
    /// ```
    #[track_caller]
    pub fn run_with_token<F>(f: F, token: &CancellationToken) -> Task<T>
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Self::spawn_gated(ClosureBody::new(f), token)
    }

    /// As [`run_with_token`](Self::run_with_token) for a fallible body:
    /// returning a [`CanceledError`](crate::task::CanceledError) carrying `token`, once `token` is
    /// cancelled, ends the task Canceled; any other error (a cancellation by
    /// another token included) faults it. C#: `Task.Run(Func<T>,
    /// CancellationToken)` with a body that throws.
    #[track_caller]
    pub fn try_run_with_token<F, E>(f: F, token: &CancellationToken) -> Task<T>
    where
        F: FnOnce() -> Result<T, E> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Self::spawn_gated(TryClosureBody::new(f, Some(token.clone())), token)
    }

    /// Runs `future` on the pool unless `token` is cancelled before it
    /// first runs (then the task ends Canceled and the future is never
    /// polled). C#: `Task.Run(Func<Task<T>>, CancellationToken)`.
    #[track_caller]
    pub fn run_async_with_token<Fut>(future: Fut, token: &CancellationToken) -> Task<T>
    where
        Fut: Future<Output = T> + Send + 'static,
    {
        Self::spawn_gated(AsyncBody::new(future), token)
    }

    /// As [`run_async_with_token`](Self::run_async_with_token) for a
    /// fallible future, with the token rule of
    /// [`try_run_with_token`](Self::try_run_with_token): only a cancellation
    /// by `token`, once signalled, ends the task Canceled. (A C# async lambda
    /// would end Canceled for any token; tasklane applies one rule to all
    /// work started with a token.)
    ///
    /// ```
    /// use tasklane::{CancellationTokenSource, Task, TaskStatus, block_on};
    /// use std::time::Duration;
    ///
    /// let cts = CancellationTokenSource::new();
    /// let token = cts.token();
    /// let work = Task::try_run_async_with_token(
    ///     {
    ///         let token = token.clone();
    ///         async move {
    ///             token.run_until_cancelled(tasklane::time::delay(Duration::from_secs(3600))).await?;
    ///             Ok::<_, tasklane::CanceledError>(())
    ///         }
    ///     },
    ///     &token,
    /// );
    /// cts.cancel().unwrap();
    /// assert!(work.wait().unwrap_err().is_canceled());
    /// assert_eq!(work.status(), TaskStatus::Canceled);
    /// ```
    #[track_caller]
    pub fn try_run_async_with_token<Fut, E>(future: Fut, token: &CancellationToken) -> Task<T>
    where
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        Self::spawn_gated(
            TokenAsyncBody {
                fut: future,
                token: token.clone(),
            },
            token,
        )
    }
}

impl<A: Send + Sync + 'static> Task<A> {
    /// As [`continue_with`](Task::continue_with), with a token: if it fires
    /// before the continuation runs, the continuation ends Canceled (for
    /// that token) without running `f`, at once, even before its antecedent
    /// completes; with [`ContinuationOptions::LAZY_CANCELLATION`], only
    /// once the antecedent has completed. Once `f` runs the token is only
    /// cooperative. C#: `Task.ContinueWith(…, CancellationToken,
    /// TaskContinuationOptions, TaskScheduler.Default)`.
    ///
    /// ```
    /// use tasklane::{CancellationTokenSource, ContinuationOptions, TaskCompletionSource};
    /// let antecedent = TaskCompletionSource::<u8>::new();
    /// let cts = CancellationTokenSource::new();
    /// let c = antecedent.task().continue_with_token(|_| 1, &cts.token(), ContinuationOptions::NONE);
    /// cts.cancel().unwrap();
    /// assert!(c.is_canceled(), "at once, before the antecedent completes");
    /// ```
    #[track_caller]
    pub fn continue_with_token<U, F>(
        &self,
        f: F,
        token: &CancellationToken,
        options: ContinuationOptions,
    ) -> Task<U>
    where
        F: FnOnce(&Task<A>) -> U + Send + 'static,
        U: Send + 'static,
    {
        let body = ContinuationBody::new(self.clone(), move |t: &Task<A>| Ok(f(t)), options);
        self.spawn_continuation_gated(body, token, options)
    }

    /// As [`continue_with_token`](Task::continue_with_token) for a fallible
    /// `f`: `Err(e)` faults the continuation with `e`; a [`CanceledError`]
    /// carrying `token`, once it fired, cancels it (.NET's rule for work
    /// started with a token). C#: `ContinueWith(…, CancellationToken, …)`
    /// with a delegate that throws.
    #[track_caller]
    pub fn try_continue_with_token<U, E, F>(
        &self,
        f: F,
        token: &CancellationToken,
        options: ContinuationOptions,
    ) -> Task<U>
    where
        F: FnOnce(&Task<A>) -> Result<U, E> + Send + 'static,
        E: Into<BoxError> + 'static,
        U: Send + 'static,
    {
        let own = token.clone();
        let body = ContinuationBody::new(
            self.clone(),
            move |t: &Task<A>| {
                f(t).map_err(|e| AggregateError::one(work_error(TaskError::new(e), Some(&own))))
            },
            options,
        );
        self.spawn_continuation_gated(body, token, options)
    }

    #[track_caller]
    fn spawn_continuation_gated<U, B>(
        &self,
        body: B,
        token: &CancellationToken,
        options: ContinuationOptions,
    ) -> Task<U>
    where
        B: Future<Output = Outcome<U>> + Send + 'static,
        U: Send + 'static,
    {
        let (gated, slot) = gate(body, token);
        let home = super::tasks_continue::current_scheduler_home();
        let task = self.spawn_continuation(home.clone(), gated, options, Location::caller());
        if !options.contains(ContinuationOptions::LAZY_CANCELLATION) {
            arm(&task, token, &slot, home);
        }
        task
    }
}
