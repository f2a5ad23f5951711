//! `configure_await`: choose, per await, whether the rest of the task
//! resumes on its captured context, and whether it always yields.
//!
//! C#: `Task.ConfigureAwait(bool)` and .NET 8's
//! `Task.ConfigureAwait(ConfigureAwaitOptions)`.

use std::future::{Future, IntoFuture};
use std::ops::BitOr;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

/// How an await behaves. C#: `ConfigureAwaitOptions`.
///
/// `SuppressThrowing` is not a flag here but the
/// [`suppress_throwing`](ConfigureAwait::suppress_throwing) method: it
/// changes what the await yields (nothing), which a flag cannot.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ConfigureAwaitOptions(u8);

impl ConfigureAwaitOptions {
    /// Resume on the pool and never yield needlessly: what
    /// `configure_await(false)` means. C#: `ConfigureAwaitOptions.None`.
    pub const NONE: ConfigureAwaitOptions = ConfigureAwaitOptions(0);
    /// Resume on the task's own home (its dispatcher or context), as a plain
    /// `.await` does. C#: `ContinueOnCapturedContext`.
    pub const CONTINUE_ON_CAPTURED_CONTEXT: ConfigureAwaitOptions = ConfigureAwaitOptions(1);
    /// Yield even when the awaited operation is already complete: the rest
    /// runs after the work already queued where it resumes. C#:
    /// `ForceYielding`.
    pub const FORCE_YIELDING: ConfigureAwaitOptions = ConfigureAwaitOptions(4);

    /// True if every flag in `other` is set. C#: `Enum.HasFlag`.
    pub const fn contains(self, other: ConfigureAwaitOptions) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ConfigureAwaitOptions {
    type Output = ConfigureAwaitOptions;
    fn bitor(self, rhs: ConfigureAwaitOptions) -> ConfigureAwaitOptions {
        ConfigureAwaitOptions(self.0 | rhs.0)
    }
}

/// `configure_await` for everything that can be awaited: a [`Task`]
/// (`T: Clone`), any future, anything `IntoFuture`. C#: the
/// `ConfigureAwait` methods of `Task`, `Task<T>` and `ValueTask`.
///
/// [`Task`]: crate::Task
pub trait ConfigureAwaitExt: IntoFuture + Sized {
    /// With `false`, the rest of the running task (if its future is `Send`)
    /// resumes on the thread pool instead of its home: later awaits resume
    /// there too, as in C#, where code after `ConfigureAwait(false)` no
    /// longer sees the context. It matters only if the awaited operation is
    /// not complete yet: awaiting something complete continues on the
    /// current thread, with no hop. With `true` it is a plain `.await`. C#:
    /// `ConfigureAwait(bool)`.
    ///
    /// It moves the *task*, not a function. In C# every async method is a
    /// task of its own, so a library method's `ConfigureAwait(false)` never
    /// moves its caller; in Rust an `async fn` awaited inline is part of the
    /// caller's task, so it does. Where the caller must stay, start the
    /// library call as a task of its own (`dispatcher.spawn(lib())`,
    /// `Task::run_async(lib())`) and await that, or come back with
    /// [`switch_to`](crate::context::switch_to). A task spawned with
    /// [`spawn_local`](crate::context::Dispatcher::spawn_local) is never
    /// moved (debug builds say so once per call site).
    ///
    /// To keep the C# shape, where a library method's `ConfigureAwait(false)`
    /// moves only that method, mark the library `async fn` with
    /// `#[tasklane::async_method]` (or wrap its body in
    /// [`async_method`](crate::context::async_method)): its caller then
    /// resumes on its own home when it returns.
    ///
    /// ```
    /// use tasklane::context::{ConfigureAwaitExt, Dispatcher};
    /// use tasklane::Task;
    ///
    /// let ui = Dispatcher::start("ui").unwrap();
    /// let ui_thread = ui.invoke(|| std::thread::current().id()).unwrap();
    /// let t = ui.spawn(async move {
    ///     // Library-style code: it does not need the UI thread after this.
    ///     let slow = Task::run(|| { std::thread::sleep(std::time::Duration::from_millis(20)); 1 });
    ///     let v = slow.configure_await(false).await.unwrap();
    ///     (v, std::thread::current().id() != ui_thread)
    /// });
    /// assert_eq!(t.result().unwrap(), (1, true));
    /// # ui.shutdown();
    /// ```
    #[track_caller]
    fn configure_await(
        self,
        continue_on_captured_context: bool,
    ) -> ConfigureAwait<Self::IntoFuture> {
        self.configure_await_with(if continue_on_captured_context {
            ConfigureAwaitOptions::CONTINUE_ON_CAPTURED_CONTEXT
        } else {
            ConfigureAwaitOptions::NONE
        })
    }

    /// The .NET 8 form: `options` choose where the rest resumes and whether
    /// the await always yields. C#: `ConfigureAwait(ConfigureAwaitOptions)`.
    #[track_caller]
    fn configure_await_with(
        self,
        options: ConfigureAwaitOptions,
    ) -> ConfigureAwait<Self::IntoFuture> {
        ConfigureAwait {
            inner: self.into_future(),
            options,
            ready: None,
            moved: false,
            yield_now: None,
            location: Location::caller(),
        }
    }
}

impl<F: IntoFuture> ConfigureAwaitExt for F {}

pin_project_lite::pin_project! {
    /// An await configured by [`ConfigureAwaitExt`]. C#:
    /// `ConfiguredTaskAwaitable`.
    #[must_use = "futures do nothing unless awaited"]
    pub struct ConfigureAwait<F: Future> {
        #[pin]
        inner: F,
        options: ConfigureAwaitOptions,
        // The output of an operation that was complete when FORCE_YIELDING
        // made us yield; returned on the next poll.
        ready: Option<F::Output>,
        moved: bool,
        yield_now: Option<crate::task::YieldNow>,
        // Where `configure_await` was called, for the pinned-task note.
        location: &'static Location<'static>,
    }
}

impl<F: Future> ConfigureAwait<F> {
    /// Awaits the operation and yields nothing, whatever it ended with: its
    /// error (or value) is dropped. C#:
    /// `ConfigureAwaitOptions.SuppressThrowing`. Unlike .NET, a task's
    /// failure dropped this way counts as observed (you chose to ignore it),
    /// so no unobserved-fault report follows.
    ///
    /// ```
    /// use tasklane::context::ConfigureAwaitExt;
    /// use tasklane::Task;
    /// # tasklane::block_on(async {
    /// let failing = Task::<u8>::from_error(std::io::Error::other("ignored"));
    /// failing.configure_await(false).suppress_throwing().await;
    /// # });
    /// ```
    pub fn suppress_throwing(self) -> SuppressThrowing<F> {
        SuppressThrowing { inner: self }
    }

    fn continues_on_context(&self) -> bool {
        self.options
            .contains(ConfigureAwaitOptions::CONTINUE_ON_CAPTURED_CONTEXT)
    }
}

/// Moves the running task's home to the current runtime's pool, if it can
/// move (a `!Send` task stays where it is, which debug builds note once per
/// call site; outside a task nothing moves).
fn leave_context(location: &'static Location<'static>) {
    let moved = super::home::rehome_current(crate::runtime::current_home());
    if moved == super::home::Rehome::Pinned {
        note_pinned(location);
    }
}

/// `configure_await(false)` in a task that cannot move (its future is not
/// `Send`: `spawn_local`) does nothing; in debug builds, say so once per
/// call site.
fn note_pinned(location: &'static Location<'static>) {
    if !cfg!(debug_assertions) {
        return;
    }
    static NOTED: std::sync::Mutex<Vec<&'static Location<'static>>> =
        std::sync::Mutex::new(Vec::new());
    let mut noted = NOTED.lock().unwrap_or_else(|p| p.into_inner());
    if noted.contains(&location) {
        return;
    }
    noted.push(location);
    drop(noted);
    tracing::warn!(
        location = %location,
        "configure_await(false) ignored: the task is pinned to its dispatcher (spawn_local)"
    );
    crate::diag::emit::stderr_line(format_args!(
        "configure_await(false) at {location} is ignored: the task runs a future that is not Send (spawn_local), so it stays on its dispatcher (noted once per call site, in debug builds)"
    ));
}

impl<F: Future> Future for ConfigureAwait<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let continue_on_context = self.continues_on_context();
        let mut this = self.project();
        if let Some(y) = this.yield_now.as_mut() {
            // Resumed after a forced yield.
            if Pin::new(y).poll(cx).is_pending() {
                return Poll::Pending;
            }
            return match this.ready.take() {
                Some(v) => Poll::Ready(v),
                None => unreachable!("a forced yield holds the output"),
            };
        }
        match this.inner.as_mut().poll(cx) {
            Poll::Ready(v) => {
                if !this.options.contains(ConfigureAwaitOptions::FORCE_YIELDING) {
                    // Already complete: continue right here, no hop.
                    return Poll::Ready(v);
                }
                if !continue_on_context {
                    leave_context(this.location);
                }
                *this.ready = Some(v);
                let mut y = crate::task::yield_now();
                let polled = Pin::new(&mut y).poll(cx);
                debug_assert!(polled.is_pending(), "a fresh yield_now yields");
                *this.yield_now = Some(y);
                Poll::Pending
            }
            Poll::Pending => {
                if !continue_on_context && !*this.moved {
                    // The rest resumes on the pool: the wake that ends this
                    // suspension schedules the task there.
                    *this.moved = true;
                    leave_context(this.location);
                }
                Poll::Pending
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// An await that yields nothing, made by
    /// [`ConfigureAwait::suppress_throwing`]. C#: the awaitable of
    /// `ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing)`.
    #[must_use = "futures do nothing unless awaited"]
    pub struct SuppressThrowing<F: Future> {
        #[pin]
        inner: ConfigureAwait<F>,
    }
}

impl<F: Future> Future for SuppressThrowing<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx).map(drop)
    }
}
