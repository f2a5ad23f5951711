//! The errors a task can end with, and the errors misuse returns.
//!
//! C#: `Exception` stored in a faulted `Task`, `OperationCanceledException`,
//! `AggregateException`, `InvalidOperationException`.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::panic::Location;
use std::sync::{Arc, Mutex};

pub use super::canceled::{CancelReason, CanceledError};

/// Any error, boxed: what a fallible task body may end with (every type
/// implementing `Error + Send + Sync`, `anyhow::Error`, `&str` and `String`
/// convert into it). C#: `Exception`, the base every thrown error shares.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Why a task did not run to completion: the error `.await` yields (the
/// *first* error, as C# `await` rethrows the first exception).
///
/// C#: the exception `await task` rethrows — `OperationCanceledException` for
/// a canceled task, the original exception for a faulted one.
#[derive(Clone)]
#[non_exhaustive]
pub enum TaskError {
    /// The task was canceled. C#: `TaskCanceledException` /
    /// `OperationCanceledException`.
    Canceled(CanceledError),
    /// The task faulted: its body returned an error, panicked, or its promise
    /// was broken. The original error is kept and can be downcast. C#: the
    /// original exception, as `await` rethrows it.
    Faulted(Fault),
}

impl TaskError {
    /// Wraps any error a task body can end with: anything that converts
    /// into a [`BoxError`] (a type implementing `Error`, `Box<dyn Error +
    /// Send + Sync>`, `anyhow::Error`, `io::Error`, a `&str` or `String`).
    ///
    /// - A [`TaskError`] is kept as it is, and a [`CanceledError`] is a
    ///   cancellation.
    /// - An error that *means* cancellation is a cancellation, however it
    ///   was wrapped: one whose `source()` chain holds a [`CanceledError`],
    ///   a canceled [`TaskError`], or an `io::Error` carrying one (what a
    ///   socket call canceled by its token returns), to
    ///   [`CANCELLATION_SOURCE_DEPTH`](super::CANCELLATION_SOURCE_DEPTH).
    ///   The wrapper is kept as [`CanceledError::carrier`].
    /// - Anything else is a fault holding the error itself:
    ///   [`downcast_ref`](TaskError::downcast_ref) finds the original type
    ///   (for an `anyhow::Error`, the error it was made from).
    ///
    /// C#: the exception an async method ends with, stored in its task.
    pub fn new<E>(error: E) -> TaskError
    where
        E: Into<BoxError> + 'static,
    {
        #[cfg(feature = "anyhow")]
        let error = match take_anyhow(error) {
            Ok(a) => return TaskError::from_anyhow(a),
            Err(e) => e,
        };
        TaskError::from_boxed(error.into())
    }

    fn from_boxed(error: BoxError) -> TaskError {
        let error = match error.downcast::<TaskError>() {
            Ok(te) => return *te,
            Err(e) => e,
        };
        let error = match error.downcast::<CanceledError>() {
            Ok(c) => return TaskError::Canceled(*c),
            Err(e) => e,
        };
        TaskError::from_fault(Fault {
            repr: Repr::Std(Arc::from(error)),
        })
    }

    #[cfg(feature = "anyhow")]
    fn from_anyhow(error: anyhow::Error) -> TaskError {
        let error = match error.downcast::<TaskError>() {
            Ok(te) => return te,
            Err(e) => e,
        };
        TaskError::from_fault(Fault {
            repr: Repr::Anyhow(Arc::new(error)),
        })
    }

    /// A fault, unless its error means cancellation (`canceled.rs`).
    fn from_fault(fault: Fault) -> TaskError {
        match super::canceled::find_in_chain(fault.as_error()) {
            Some(c) => TaskError::Canceled(c.carried_by(fault)),
            None => TaskError::Faulted(fault),
        }
    }

    /// A canceled error with no token. C#: `new TaskCanceledException()`.
    pub fn canceled() -> TaskError {
        TaskError::Canceled(CanceledError::new())
    }

    /// True if this is a cancellation. C#: `e is OperationCanceledException`.
    pub fn is_canceled(&self) -> bool {
        matches!(self, TaskError::Canceled(_))
    }

    /// True if this is a fault (not a cancellation).
    pub fn is_faulted(&self) -> bool {
        matches!(self, TaskError::Faulted(_))
    }

    /// True if the fault is a panic in the task body.
    pub fn is_panic(&self) -> bool {
        self.downcast_ref::<PanicError>().is_some()
    }

    /// True if the fault is a broken promise (a `TaskCompletionSource`
    /// dropped without completing).
    pub fn is_broken_promise(&self) -> bool {
        self.downcast_ref::<BrokenPromiseError>().is_some()
    }

    /// The cancellation, if this is one. C#: `e as OperationCanceledException`.
    pub fn as_canceled(&self) -> Option<&CanceledError> {
        match self {
            TaskError::Canceled(c) => Some(c),
            TaskError::Faulted(_) => None,
        }
    }

    /// The fault, if this is one.
    pub fn as_fault(&self) -> Option<&Fault> {
        match self {
            TaskError::Faulted(f) => Some(f),
            TaskError::Canceled(_) => None,
        }
    }

    /// The original error, if it is of type `E`. C#: `catch (E e)`.
    ///
    /// For a cancellation this is the [`CanceledError`] itself or, when a
    /// wrapper carried it out of the task body, that wrapper
    /// ([`CanceledError::carrier`]).
    pub fn downcast_ref<E: Error + Send + Sync + 'static>(&self) -> Option<&E> {
        match self {
            TaskError::Faulted(f) => f.downcast_ref::<E>(),
            TaskError::Canceled(c) => (c as &dyn Error)
                .downcast_ref::<E>()
                .or_else(|| c.carrier_fault().and_then(Fault::downcast_ref::<E>)),
        }
    }

    /// The first error of type `E` in this error's `source()` chain: the
    /// original error first, then what it wraps (an `io::Error` is looked
    /// through to the error it carries). For a cancellation, the
    /// [`CanceledError`], then its [`carrier`](CanceledError::carrier)'s
    /// chain. C#: walking `InnerException`s.
    ///
    /// ```
    /// use anyhow::Context;
    /// use std::io;
    ///
    /// let t = tasklane::Task::<()>::try_run(|| {
    ///     Err(io::Error::new(io::ErrorKind::NotFound, "gone")).context("loading the config")
    /// });
    /// let err = t.wait().unwrap_err();
    /// let first = err.first();
    /// assert_eq!(first.to_string(), "loading the config");
    /// assert_eq!(first.find::<io::Error>().unwrap().kind(), io::ErrorKind::NotFound);
    /// ```
    pub fn find<E: Error + 'static>(&self) -> Option<&E> {
        let start: &(dyn Error + 'static) = match self {
            TaskError::Faulted(f) => f.as_error(),
            TaskError::Canceled(c) => {
                if let Some(e) = (c as &dyn Error).downcast_ref::<E>() {
                    return Some(e);
                }
                c.carrier()?
            }
        };
        let mut current = Some(start);
        while let Some(e) = current {
            if let Some(found) = e.downcast_ref::<E>() {
                return Some(found);
            }
            current = match e.downcast_ref::<std::io::Error>() {
                Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
                None => e.source(),
            };
        }
        None
    }

    /// A task body's panic.
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> TaskError {
        TaskError::from_panic_in(payload, "the task")
    }

    /// A panic of the user code `site` names ("a cancellation callback").
    pub(crate) fn from_panic_in(payload: Box<dyn Any + Send>, site: &'static str) -> TaskError {
        TaskError::Faulted(Fault::new(PanicError::from_payload(payload, site)))
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Canceled(c) => f.debug_tuple("Canceled").field(c).finish(),
            TaskError::Faulted(x) => f.debug_tuple("Faulted").field(x).finish(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Canceled(c) => fmt::Display::fmt(c, f),
            TaskError::Faulted(x) => fmt::Display::fmt(x, f),
        }
    }
}

impl Error for TaskError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            TaskError::Canceled(_) => None,
            TaskError::Faulted(x) => Some(x.as_error()),
        }
    }
}

impl From<CanceledError> for TaskError {
    fn from(c: CanceledError) -> TaskError {
        TaskError::Canceled(c)
    }
}

/// One error stored in a faulted task; cheap to clone, shared by everyone who
/// observes the task.
///
/// C#: the `Exception` object inside a faulted `Task`.
#[derive(Clone)]
pub struct Fault {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Std(Arc<dyn Error + Send + Sync + 'static>),
    /// Kept whole, so its own `downcast_ref` (the original error, and the
    /// contexts added to it) keeps working.
    #[cfg(feature = "anyhow")]
    Anyhow(Arc<anyhow::Error>),
}

impl Fault {
    /// Wraps an error (anything that converts into a [`BoxError`]; an
    /// `anyhow::Error` is kept whole).
    pub fn new<E: Into<BoxError> + 'static>(error: E) -> Fault {
        #[cfg(feature = "anyhow")]
        let error = match take_anyhow(error) {
            Ok(a) => {
                return Fault {
                    repr: Repr::Anyhow(Arc::new(a)),
                };
            }
            Err(e) => e,
        };
        Fault {
            repr: Repr::Std(Arc::from(error.into())),
        }
    }

    /// The error itself: the original error object (for an `anyhow::Error`,
    /// the error it was made from, or its outermost context).
    pub fn as_error(&self) -> &(dyn Error + Send + Sync + 'static) {
        match &self.repr {
            Repr::Std(e) => &**e,
            #[cfg(feature = "anyhow")]
            Repr::Anyhow(a) => &***a,
        }
    }

    /// The original error, if it is of type `E`. C#: `catch (E e)`. For an
    /// `anyhow::Error`, what its own `downcast_ref` finds: the error it was
    /// made from, or a context added to it.
    pub fn downcast_ref<E: Error + Send + Sync + 'static>(&self) -> Option<&E> {
        match &self.repr {
            Repr::Std(e) => (&**e as &(dyn Error + 'static)).downcast_ref::<E>(),
            #[cfg(feature = "anyhow")]
            Repr::Anyhow(a) => a.downcast_ref::<E>(),
        }
    }

    /// The `anyhow::Error` the task body ended with, if it was one. C#: the
    /// exception object itself.
    #[cfg(feature = "anyhow")]
    #[cfg_attr(docsrs, doc(cfg(feature = "anyhow")))]
    pub fn as_anyhow(&self) -> Option<&anyhow::Error> {
        match &self.repr {
            Repr::Anyhow(a) => Some(a),
            Repr::Std(_) => None,
        }
    }
}

/// `Ok` with the `anyhow::Error` if `error` is one, so it is kept whole
/// rather than boxed (boxing hides the error it was made from behind a
/// private type).
#[cfg(feature = "anyhow")]
fn take_anyhow<E: 'static>(error: E) -> Result<anyhow::Error, E> {
    let mut slot = Some(error);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<anyhow::Error>>() {
        Some(a) => Ok(a.take().expect("just filled")),
        None => Err(slot.expect("still full")),
    }
}

impl fmt::Debug for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Std(e) => fmt::Debug::fmt(&**e, f),
            #[cfg(feature = "anyhow")]
            Repr::Anyhow(a) => fmt::Debug::fmt(&**a, f),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Std(e) => fmt::Display::fmt(&**e, f),
            #[cfg(feature = "anyhow")]
            Repr::Anyhow(a) => fmt::Display::fmt(&**a, f),
        }
    }
}

/// A panic in a task body, caught by the runtime: the task faults and the
/// worker thread survives. The payload survives too, whatever its type
/// (`std::panic::panic_any`): [`downcast`](PanicError::downcast) reads it,
/// [`take_payload`](PanicError::take_payload) takes it to resume the panic.
/// C#: the exception object a task faulted with, any type.
#[derive(Clone)]
pub struct PanicError {
    message: String,
    /// What panicked: "the task", "a cancellation callback", …
    site: &'static str,
    /// The payload, shared by every clone of the error (one task's fault is
    /// read from many places); `None` once taken.
    payload: Arc<Mutex<Option<Box<dyn Any + Send>>>>,
}

impl PanicError {
    pub(crate) fn from_payload(payload: Box<dyn Any + Send>, site: &'static str) -> PanicError {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic with a non-string payload".to_owned()
        };
        PanicError {
            message,
            site,
            payload: Arc::new(Mutex::new(Some(payload))),
        }
    }

    /// What panicked, as the message says it: `"the task"` for a task's
    /// body, else the runtime's name for the user code it called (`"a
    /// cancellation callback"`, `"work posted to a dispatcher"`, …).
    pub fn site(&self) -> &'static str {
        self.site
    }

    /// The panic message (for a payload that is not a string, a note
    /// saying so).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A copy of the payload, if it is a `P` (and was not taken). C#:
    /// `catch (MyException e)` on the task's exception.
    ///
    /// ```
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct Code(u32);
    /// let t = tasklane::Task::<()>::run(|| std::panic::panic_any(Code(7)));
    /// let err = t.wait().unwrap_err();
    /// let panic = err.first().downcast_ref::<tasklane::task::PanicError>().unwrap();
    /// assert_eq!(panic.downcast::<Code>(), Some(Code(7)));
    /// ```
    pub fn downcast<P: Any + Clone>(&self) -> Option<P> {
        let g = self.payload.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref()?.downcast_ref::<P>().cloned()
    }

    /// True if the payload is a `P` (and was not taken).
    pub fn payload_is<P: Any>(&self) -> bool {
        let g = self.payload.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref().is_some_and(|p| p.is::<P>())
    }

    /// Takes the payload out, for `std::panic::resume_unwind`; every clone
    /// of this error shares it, so the first caller gets it. C#:
    /// `ExceptionDispatchInfo.Throw`.
    pub fn take_payload(&self) -> Option<Box<dyn Any + Send>> {
        self.payload
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

impl fmt::Debug for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicError")
            .field("message", &self.message)
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} panicked: {}", self.site, self.message)
    }
}

impl Error for PanicError {}

/// Every `TaskCompletionSource` of a task was dropped without completing it.
///
/// .NET would leave such a task pending forever; tasklane faults it and names
/// where the source was created.
#[derive(Clone, Debug)]
pub struct BrokenPromiseError {
    created_at: &'static Location<'static>,
}

impl BrokenPromiseError {
    pub(crate) fn new(created_at: &'static Location<'static>) -> BrokenPromiseError {
        BrokenPromiseError { created_at }
    }

    /// Where the `TaskCompletionSource` was created.
    pub fn created_at(&self) -> &'static Location<'static> {
        self.created_at
    }
}

impl fmt::Display for BrokenPromiseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "broken promise: the TaskCompletionSource created at {} was dropped without being completed",
            self.created_at
        )
    }
}

impl Error for BrokenPromiseError {}

/// A call that is not valid in the object's current state.
///
/// C#: `InvalidOperationException`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidOperationError {
    /// `start()` on a task that was already started, is a promise or a
    /// continuation, or was created hot (`Task::run`).
    TaskAlreadyStarted,
    /// `set_result` / `set_error` / `set_canceled` on a completed source.
    PromiseAlreadyCompleted,
    /// The runtime was shut down: it accepts no more work.
    RuntimeShutdown,
    /// A `ValueTask` whose result was already consumed was awaited again.
    ValueTaskConsumed,
    /// A `ValueTask` of a `ManualResetValueTaskSource` operation was awaited
    /// after the source was reset for a later operation.
    StaleValueTask {
        /// The operation (version) the `ValueTask` was made for.
        awaited: u32,
        /// The source's current operation.
        current: u32,
    },
    /// `set_errors` was given an empty list of errors.
    EmptyErrorList,
    /// A blocking wait was called where it can never finish.
    WouldDeadlock(&'static str),
    /// `when_any`, `wait_any` (named here) were given no tasks. C#: the
    /// `ArgumentException` of `Task.WhenAny(new Task[0])`.
    NoTasks(&'static str),
    /// `from_canceled_with` was given a token that is not canceled. C#: the
    /// `ArgumentOutOfRangeException` of `Task.FromCanceled`.
    TokenNotCanceled,
    /// Options that exclude each other were given together (which, and
    /// why). C#: the `ArgumentOutOfRangeException` of `ContinueWith` and
    /// `StartNew`.
    ConflictingOptions(&'static str),
    /// Awaiting a task by value (or `into_result`) found other `Task`
    /// handles, so the output was not moved out: it stays in the task for
    /// them. Await `&task` for a clone.
    OutputShared,
    /// The output was already moved out, by an await of a handle that was
    /// the only one then.
    OutputTaken,
    /// `from_current_synchronization_context` found no
    /// `SynchronizationContext` on this thread. C#: the
    /// `InvalidOperationException` of
    /// `TaskScheduler.FromCurrentSynchronizationContext()`.
    NoSynchronizationContext,
    /// `ParallelLoopState::break_` after `stop`, or `stop` after `break_`,
    /// in one loop. C#: the `InvalidOperationException` of
    /// `ParallelLoopState.Break`/`Stop`.
    StopAndBreak,
    /// A `ParallelOptions` with `max_degree_of_parallelism` of zero. C#:
    /// the `ArgumentOutOfRangeException` of `MaxDegreeOfParallelism = 0`.
    ZeroDegreeOfParallelism,
}

impl fmt::Display for InvalidOperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidOperationError::TaskAlreadyStarted => f.write_str(
                "start() may be called only once, on a task created cold with Task::new",
            ),
            InvalidOperationError::PromiseAlreadyCompleted => {
                f.write_str("the TaskCompletionSource was already completed")
            }
            InvalidOperationError::RuntimeShutdown => {
                f.write_str("the runtime was shut down and accepts no more work")
            }
            InvalidOperationError::ValueTaskConsumed => f.write_str(
                "this ValueTask was already awaited; convert it with as_task() to await it twice",
            ),
            InvalidOperationError::StaleValueTask { awaited, current } => write!(
                f,
                "this ValueTask stands for operation {awaited} of its ManualResetValueTaskSource, which was reset and now runs operation {current}; await each operation's ValueTask before resetting the source"
            ),
            InvalidOperationError::EmptyErrorList => {
                f.write_str("set_errors needs at least one error")
            }
            InvalidOperationError::WouldDeadlock(why) => write!(f, "this wait would deadlock: {why}"),
            InvalidOperationError::NoTasks(operation) => {
                write!(f, "{operation} needs at least one task")
            }
            InvalidOperationError::TokenNotCanceled => f.write_str(
                "from_canceled_with needs a token that is canceled; use a canceled source's token",
            ),
            InvalidOperationError::ConflictingOptions(why) => {
                write!(f, "these options exclude each other: {why}")
            }
            InvalidOperationError::OutputShared => f.write_str(
                "the output cannot be moved out while other handles to the task exist: await `&task` for a clone (the output must be Clone), or drop the other handles first",
            ),
            InvalidOperationError::NoSynchronizationContext => f.write_str(
                "there is no SynchronizationContext on this thread to make a scheduler of (set one, or run this on a dispatcher thread)",
            ),
            InvalidOperationError::StopAndBreak => f.write_str(
                "a parallel loop cannot both stop and break: stop() ends it as soon as possible, break_() runs every iteration below the break",
            ),
            InvalidOperationError::ZeroDegreeOfParallelism => f.write_str(
                "max_degree_of_parallelism must be at least 1 (None: no limit)",
            ),
            InvalidOperationError::OutputTaken => f.write_str(
                "the output was already moved out by an await of this task; await `&task` (for a clone) to read it from several places",
            ),
        }
    }
}

impl Error for InvalidOperationError {}

/// `set_result` on a completed `TaskCompletionSource`: the value is handed
/// back, nothing is lost. C#: the `InvalidOperationException` that
/// `SetResult` throws on a completed source.
pub struct SetResultError<T> {
    value: T,
}

impl<T> SetResultError<T> {
    pub(crate) fn new(value: T) -> Self {
        SetResultError { value }
    }

    /// Takes back the value that was not stored.
    pub fn into_value(self) -> T {
        self.value
    }
}

impl<T> fmt::Debug for SetResultError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetResultError(PromiseAlreadyCompleted)")
    }
}

impl<T> fmt::Display for SetResultError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&InvalidOperationError::PromiseAlreadyCompleted, f)
    }
}

impl<T> Error for SetResultError<T> {}
