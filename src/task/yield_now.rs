//! `yield_now()`: give the thread to other queued work.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

thread_local! {
    static YIELD_REQUESTED: Cell<bool> = const { Cell::new(false) };
}

/// Takes the flag `yield_now` sets for the runner that polls it.
pub(crate) fn take_yield_request() -> bool {
    YIELD_REQUESTED.with(|c| c.replace(false))
}

/// Suspends once and queues the rest of the task behind the work already
/// waiting: on the pool, at the back of its worker's local queue (as Tokio
/// does; .NET queues globally), where idle workers can steal it and the
/// pool's fairness check keeps global work from waiting behind it for more
/// than about 200 µs; on a dispatcher, posted to it. C#: `await
/// Task.Yield()`.
///
/// ```
/// # tasklane::Task::run_async(async {
/// tasklane::yield_now().await;
/// # }).wait().unwrap();
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`]. C#: `YieldAwaitable`.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        if super::current::current().is_some() {
            YIELD_REQUESTED.with(|c| c.set(true));
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
