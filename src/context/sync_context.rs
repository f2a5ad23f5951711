//! `SynchronizationContext`: where work that must resume "here" is sent,
//! and which one is current on this thread.
//!
//! C#: `System.Threading.SynchronizationContext`.

use super::dispatcher::{self, Dispatcher};
use crate::diag::UnhandledError;
use crate::task::TaskError;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// A unit of work given to a context: a boxed closure, run once.
///
/// C#: a `SendOrPostCallback` with its state.
pub type Work = Box<dyn FnOnce() + Send + 'static>;

/// A place work can be sent to run: a UI thread, a request context, a test
/// loop. tasklane's own is the [`Dispatcher`]; implement this trait to make
/// another. A task homed on a context is polled only through
/// [`post`](SynchronizationContext::post), so every `.await` in it resumes
/// there, as `await` resumes on a captured context in C#.
///
/// Every method but `post` has a default that matches .NET's base class.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tasklane::context::{SynchronizationContext, Work};
///
/// /// Runs posted work in a batch when the host calls `pump`.
/// #[derive(Default)]
/// struct Pumped(Mutex<Vec<Work>>);
///
/// impl SynchronizationContext for Pumped {
///     fn post(&self, work: Work) {
///         self.0.lock().unwrap().push(work);
///     }
/// }
///
/// impl Pumped {
///     fn pump(&self) {
///         let batch = std::mem::take(&mut *self.0.lock().unwrap());
///         batch.into_iter().for_each(|w| w());
///     }
/// }
///
/// let ctx = Arc::new(Pumped::default());
/// let (tx, rx) = std::sync::mpsc::channel();
/// ctx.post(Box::new(move || tx.send(1).unwrap()));
/// ctx.pump();
/// assert_eq!(rx.recv().unwrap(), 1);
/// ```
///
/// C#: `SynchronizationContext` (a class with virtual methods there).
pub trait SynchronizationContext: Send + Sync + 'static {
    /// Queues `work` to run on this context, returning at once. A context
    /// that can no longer run work drops it (its destructor runs). C#:
    /// `SynchronizationContext.Post`.
    fn post(&self, work: Work);

    /// Runs `work` on this context and returns when it has run, with its
    /// panic (or cancellation) as the error. The default runs it inline on
    /// the calling thread, as .NET's base class does. C#:
    /// `SynchronizationContext.Send`.
    fn send(&self, work: Work) -> Result<(), TaskError> {
        run_inline(work)
    }

    /// An asynchronous operation (a `fire_and_forget`, a forgotten task)
    /// started on this context. C#: `OperationStarted`.
    fn operation_started(&self) {}

    /// An operation counted by `operation_started` ended. C#:
    /// `OperationCompleted`.
    fn operation_completed(&self) {}

    /// Work that captured this context failed and nobody can await it. Take
    /// it (`Ok`), or hand it back (`Err`) for the runtime-wide handler
    /// ([`crate::diag::set_unhandled_error_handler`]). The default hands it
    /// back. C#: an `async void` method's exception, which .NET posts to the
    /// captured context to be rethrown there.
    fn unhandled_error(&self, error: UnhandledError) -> Result<(), UnhandledError> {
        Err(error)
    }

    /// A short name for diagnostics and errors. The default is the type's
    /// name.
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_owned()
    }

    /// The [`Dispatcher`] behind this context, if it is one: tasks captured
    /// here are then homed on the dispatcher itself instead of going
    /// through `post`. Other contexts keep the default, `None`.
    fn as_dispatcher(&self) -> Option<Dispatcher> {
        None
    }
}

/// Runs `work` here, turning a panic into a fault.
pub(crate) fn run_inline(work: Work) -> Result<(), TaskError> {
    catch_unwind(AssertUnwindSafe(work))
        .map_err(|p| TaskError::from_panic_in(p, "work sent to a SynchronizationContext"))
}

/// What this thread's current context is.
#[derive(Clone)]
enum Slot {
    /// Nothing set explicitly: the thread's dispatcher, if it has one.
    Inherit,
    /// Set by `set_current` (possibly to none).
    Set(Option<Arc<dyn SynchronizationContext>>),
}

thread_local! {
    static CURRENT: RefCell<Slot> = const { RefCell::new(Slot::Inherit) };
}

impl dyn SynchronizationContext {
    /// The context current on this thread: one set with
    /// `set_current`, else the [`Dispatcher`] this
    /// thread runs, else none (a pool thread, a plain thread). C#:
    /// `SynchronizationContext.Current`.
    ///
    /// ```
    /// use tasklane::context::SynchronizationContext;
    /// assert!(<dyn SynchronizationContext>::current().is_none());
    /// ```
    pub fn current() -> Option<Arc<dyn SynchronizationContext>> {
        let slot = CURRENT.with(|c| c.borrow().clone());
        match slot {
            Slot::Set(ctx) => ctx,
            Slot::Inherit => {
                dispatcher::thread::current_shared().map(|d| d as Arc<dyn SynchronizationContext>)
            }
        }
    }

    /// Makes `ctx` (or none) the current context of this thread until the
    /// returned scope drops, which restores the previous one. C#:
    /// `SynchronizationContext.SetSynchronizationContext`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tasklane::context::{SynchronizationContext, Work};
    ///
    /// struct Inline;
    /// impl SynchronizationContext for Inline {
    ///     fn post(&self, work: Work) { work() }
    /// }
    ///
    /// {
    ///     let _scope = <dyn SynchronizationContext>::set_current(Some(Arc::new(Inline)));
    ///     assert!(<dyn SynchronizationContext>::current().unwrap().name().ends_with("Inline"));
    /// }
    /// assert!(<dyn SynchronizationContext>::current().is_none());
    /// ```
    pub fn set_current(
        ctx: Option<Arc<dyn SynchronizationContext>>,
    ) -> SynchronizationContextScope {
        let prev = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), Slot::Set(ctx)));
        SynchronizationContextScope {
            prev: Some(prev),
            _not_send: PhantomData,
        }
    }
}

/// Restores the previous current context when dropped. Made by
/// `<dyn SynchronizationContext>::set_current`. C#:
/// `SynchronizationContext.SetSynchronizationContext(previous)` in a
/// `finally`.
#[must_use = "the context stays current only while the scope lives"]
pub struct SynchronizationContextScope {
    prev: Option<Slot>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for SynchronizationContextScope {
    fn drop(&mut self) {
        if let Some(prev) = self.prev.take() {
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
}

impl fmt::Debug for SynchronizationContextScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SynchronizationContextScope")
    }
}

/// True if `a` and `b` are the same context object.
pub(crate) fn same_context(
    a: &Arc<dyn SynchronizationContext>,
    b: &Arc<dyn SynchronizationContext>,
) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}
