//! `block_on`: run a future to completion on the calling thread.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

/// Wakes a blocked thread.
pub(crate) struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
}

impl ThreadWaker {
    pub(crate) fn new() -> Arc<ThreadWaker> {
        Arc::new(ThreadWaker {
            thread: std::thread::current(),
            notified: AtomicBool::new(false),
        })
    }

    /// Consumes a pending notification.
    pub(crate) fn take_notified(&self) -> bool {
        self.notified.swap(false, Ordering::AcqRel)
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.notified.swap(true, Ordering::AcqRel) {
            self.thread.unpark();
        }
    }
}

/// Runs `future` to completion on this thread, parking between polls. On a
/// pool worker the pool is told the thread is blocked.
///
/// C#: `task.GetAwaiter().GetResult()` on a method's task — the
/// sync-over-async bridge, here without the deadlock of a captured context.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    // On a pool thread, counted blocked from the first park to the end.
    let mut blocking = None;
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        if blocking.is_none() {
            blocking = Some(crate::pool::BlockingGuard::enter());
        }
        while !thread_waker.take_notified() {
            std::thread::park();
        }
    }
}
