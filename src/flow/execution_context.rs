//! `ExecutionContext` and `AsyncLocal<T>`: ambient values that flow with the
//! logical flow of work, never back.
//!
//! The context is an immutable map behind an `Arc`: capturing it is a
//! reference copy; setting an `AsyncLocal` makes a new map (copy-on-write),
//! so a child's change can never reach its parent.
//!
//! C#: `System.Threading.ExecutionContext`, `AsyncLocal<T>`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

pub(crate) type Value = Arc<dyn Any + Send + Sync>;

/// A captured set of `AsyncLocal` values. Cloning (capturing) is one
/// reference-count increment; the values themselves are never copied.
///
/// C#: `ExecutionContext`.
#[derive(Clone, Default)]
pub struct ExecutionContext {
    map: Option<Arc<[(u64, Value)]>>,
}

thread_local! {
    static CURRENT: RefCell<ExecutionContext> = RefCell::new(ExecutionContext::default());
    static SUPPRESSED: Cell<u32> = const { Cell::new(0) };
}

impl ExecutionContext {
    /// The context flowing on this thread now, for work about to be created;
    /// empty while flow is suppressed. C#: `ExecutionContext.Capture()`.
    pub fn capture() -> ExecutionContext {
        if SUPPRESSED.with(|s| s.get()) > 0 {
            return ExecutionContext::default();
        }
        Self::current()
    }

    /// True if [`capture`](Self::capture) would return an empty context
    /// (flow suppressed, or no `AsyncLocal` set), without cloning it.
    #[inline]
    pub(crate) fn capture_is_empty() -> bool {
        SUPPRESSED.with(|s| s.get()) > 0 || CURRENT.with(|c| c.borrow().map.is_none())
    }

    /// The context of this thread, regardless of suppression.
    pub(crate) fn current() -> ExecutionContext {
        CURRENT.with(|c| c.borrow().clone())
    }

    /// True if no `AsyncLocal` has a value in this context.
    pub fn is_empty(&self) -> bool {
        self.map.is_none()
    }

    /// Runs `f` with this context as the current one, then restores the
    /// previous one; changes `f` makes do not leak out. C#:
    /// `ExecutionContext.Run`.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let mut slot = self.clone();
        let _g = EnterGuard::enter(&mut slot);
        f()
    }

    /// Stops capture on this thread until the returned guard is dropped (or
    /// `undo` is called): work created meanwhile starts with an empty
    /// context. C#: `ExecutionContext.SuppressFlow()`.
    pub fn suppress_flow() -> AsyncFlowControl {
        SUPPRESSED.with(|s| s.set(s.get() + 1));
        AsyncFlowControl {
            _not_send: PhantomData,
        }
    }

    /// True while flow is suppressed on this thread. C#:
    /// `ExecutionContext.IsFlowSuppressed()`.
    pub fn is_flow_suppressed() -> bool {
        SUPPRESSED.with(|s| s.get()) > 0
    }

    /// The value of the local `key` in this context.
    pub(crate) fn value(&self, key: u64) -> Option<&Value> {
        self.get(key)
    }

    fn get(&self, key: u64) -> Option<&Value> {
        let map = self.map.as_ref()?;
        map.binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &map[i].1)
    }

    fn with_value(&self, key: u64, value: Option<Value>) -> ExecutionContext {
        let mut entries: Vec<(u64, Value)> = self
            .map
            .as_ref()
            .map(|m| m.iter().filter(|(k, _)| *k != key).cloned().collect())
            .unwrap_or_default();
        if let Some(v) = value {
            let at = entries.partition_point(|(k, _)| *k < key);
            entries.insert(at, (key, v));
        }
        ExecutionContext {
            map: (!entries.is_empty()).then(|| entries.into()),
        }
    }

    /// True if both are the same captured context (a reference comparison).
    /// C#: `ReferenceEquals` on two captured contexts.
    pub fn ptr_eq(&self, other: &ExecutionContext) -> bool {
        match (&self.map, &other.map) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Debug for ExecutionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutionContext")
            .field("values", &self.map.as_ref().map_or(0, |m| m.len()))
            .finish()
    }
}

/// Undoes `suppress_flow` when dropped. C#: `AsyncFlowControl`.
#[must_use = "flow is restored when this guard drops"]
pub struct AsyncFlowControl {
    _not_send: PhantomData<*const ()>,
}

impl AsyncFlowControl {
    /// Restores flow now. C#: `AsyncFlowControl.Undo()`.
    pub fn undo(self) {}
}

impl Drop for AsyncFlowControl {
    fn drop(&mut self) {
        SUPPRESSED.with(|s| s.set(s.get().saturating_sub(1)));
    }
}

/// Installs a context slot as the thread's current context; on drop writes
/// the (possibly changed) current context back into the slot and restores
/// the thread's previous one. The runtime wraps every poll of a task in one.
pub(crate) struct EnterGuard<'a> {
    slot: &'a mut ExecutionContext,
    prev: ExecutionContext,
}

impl<'a> EnterGuard<'a> {
    pub(crate) fn enter(slot: &'a mut ExecutionContext) -> EnterGuard<'a> {
        let prev = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), slot.clone()));
        super::value_changed::context_switched(&prev, slot);
        EnterGuard { slot, prev }
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let prev = std::mem::take(&mut self.prev);
        *self.slot = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), prev.clone()));
        super::value_changed::context_switched(self.slot, &prev);
    }
}

/// Runs `f` with `slot` as the thread's context, skipping all work when both
/// are empty (the common case).
#[inline]
pub(crate) fn with_context<R>(slot: &mut ExecutionContext, f: impl FnOnce() -> R) -> R {
    if slot.map.is_none() && CURRENT.with(|c| c.borrow().map.is_none()) {
        // Nothing to install. If `f` sets an AsyncLocal, the thread context
        // becomes non-empty: move it into the slot afterwards.
        let r = f();
        let moved = CURRENT.with(|c| {
            let mut cur = c.borrow_mut();
            if cur.map.is_some() {
                *slot = std::mem::take(&mut *cur);
                true
            } else {
                false
            }
        });
        if moved {
            // The thread's context goes back to empty: a switch.
            super::value_changed::context_switched(slot, &ExecutionContext::default());
        }
        return r;
    }
    let _g = EnterGuard::enter(slot);
    f()
}

static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// A value that flows with the logical flow of work: set in a task, visible to
/// the work that task spawns later, never to its parent or siblings.
///
/// C#: `AsyncLocal<T>`.
///
/// ```
/// use tasklane::{AsyncLocal, Task};
/// static REQUEST_ID: std::sync::LazyLock<AsyncLocal<u32>> = std::sync::LazyLock::new(AsyncLocal::new);
/// REQUEST_ID.set(Some(7));
/// let seen = Task::run(|| REQUEST_ID.get()).result().unwrap();
/// assert_eq!(seen, Some(7));
/// REQUEST_ID.set(None);
/// ```
pub struct AsyncLocal<T> {
    key: u64,
    /// Made with a value-changed handler (unregistered on drop).
    listens: bool,
    _t: PhantomData<fn() -> T>,
}

/// What changed, for a value-changed handler. C#:
/// `AsyncLocalValueChangedArgs<T>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsyncLocalValueChangedArgs<T> {
    /// The value before. C#: `PreviousValue`.
    pub previous_value: Option<T>,
    /// The value now. C#: `CurrentValue`.
    pub current_value: Option<T>,
    /// True if the value changed because the thread's execution context
    /// changed (work with another context started or finished running on
    /// it), false if code set it. C#: `ThreadContextChanged`.
    pub thread_context_changed: bool,
}

impl<T: Clone + Send + Sync + 'static> AsyncLocal<T> {
    /// A new, distinct slot. C#: `new AsyncLocal<T>()`.
    pub fn new() -> AsyncLocal<T> {
        AsyncLocal {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            listens: false,
            _t: PhantomData,
        }
    }

    /// A new slot whose `handler` hears every change of its value on a
    /// thread: a `set`, and a switch of the thread's execution context
    /// (`thread_context_changed`: a task with another value started or
    /// stopped running here). The handler runs on that thread, inside the
    /// change; a panic in it is reported (`diag::ErrorOrigin::Handler`) and
    /// goes no further. C#: `new AsyncLocal<T>(Action<
    /// AsyncLocalValueChangedArgs<T>>)`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tasklane::{AsyncLocal, Task};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let s = seen.clone();
    /// let culture = Arc::new(AsyncLocal::<&str>::with_value_changed(move |e| {
    ///     s.lock().unwrap().push((e.previous_value, e.current_value, e.thread_context_changed));
    /// }));
    /// let c = culture.clone();
    /// Task::run(move || c.set(Some("fr-FR"))).wait().unwrap();
    /// let seen = seen.lock().unwrap();
    /// assert!(seen.contains(&(None, Some("fr-FR"), false)));
    /// // The task's context left the worker thread when its poll ended.
    /// assert!(seen.contains(&(Some("fr-FR"), None, true)));
    /// ```
    #[track_caller]
    pub fn with_value_changed(
        handler: impl Fn(&AsyncLocalValueChangedArgs<T>) + Send + Sync + 'static,
    ) -> AsyncLocal<T> {
        let mut local = Self::new();
        local.listens = true;
        let typed = |v: Option<&Value>| v.and_then(|v| v.downcast_ref::<T>()).cloned();
        super::value_changed::listen(
            local.key,
            Arc::new(move |previous, current, thread_context_changed| {
                handler(&AsyncLocalValueChangedArgs {
                    previous_value: typed(previous),
                    current_value: typed(current),
                    thread_context_changed,
                })
            }),
            std::panic::Location::caller(),
        );
        local
    }

    /// The value in the current context. C#: `AsyncLocal<T>.Value` (get).
    pub fn get(&self) -> Option<T> {
        CURRENT.with(|c| {
            c.borrow()
                .get(self.key)
                .and_then(|v| v.downcast_ref::<T>())
                .cloned()
        })
    }

    /// Sets (or with `None`, clears) the value: the current context is
    /// replaced by a new one. C#: `AsyncLocal<T>.Value` (set).
    pub fn set(&self, value: Option<T>) {
        let value = value.map(|v| Arc::new(v) as Value);
        let previous = CURRENT.with(|c| {
            let mut cur = c.borrow_mut();
            let previous = cur.get(self.key).cloned();
            let next = cur.with_value(self.key, value.clone());
            *cur = next;
            previous
        });
        if self.listens {
            super::value_changed::value_set(self.key, previous.as_ref(), value.as_ref());
        }
    }

    /// Runs `f` with a reference to the value, without cloning it. C#:
    /// `AsyncLocal<T>.Value` (get).
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        CURRENT.with(|c| f(c.borrow().get(self.key).and_then(|v| v.downcast_ref::<T>())))
    }
}

impl<T: Clone + Send + Sync + 'static> Default for AsyncLocal<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for AsyncLocal<T> {
    fn drop(&mut self) {
        if self.listens {
            super::value_changed::stop_listening(self.key);
        }
    }
}

impl<T> fmt::Debug for AsyncLocal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncLocal")
            .field("key", &self.key)
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// A future that runs with its own copy of the execution context, as a C#
    /// async method does: what it sets stays inside it. Made by
    /// [`flow_scope`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct FlowScope<F> {
        #[pin]
        inner: F,
        context: ExecutionContext,
    }
}

/// Gives `future` its own execution context, captured now: `AsyncLocal`
/// changes it makes are invisible to the caller after it returns, as with a
/// C# `async` method called and awaited.
pub fn flow_scope<F: Future>(future: F) -> FlowScope<F> {
    FlowScope {
        inner: future,
        context: ExecutionContext::capture(),
    }
}

impl<F: Future> Future for FlowScope<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let inner = this.inner;
        let _g = EnterGuard::enter(this.context);
        inner.poll(cx)
    }
}
