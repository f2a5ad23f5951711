//! `block_on`: run a future to completion on the calling thread.

use crate::task::wait::ThreadWaker;
use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs `future` to completion on this thread, parking between polls. On a
/// pool worker the pool is told the thread is blocked (and adds a thread
/// for the rest of its work).
///
/// On a worker of a pool that can add no thread for it (at `max_threads`,
/// every thread blocked, work queued), the thread runs that queued work
/// itself while its future waits, so the work the future needs still runs.
/// (C#: none; Tokio panics when `block_on` is called on a worker.)
///
/// C#: `task.GetAwaiter().GetResult()` on a method's task — the
/// sync-over-async bridge, here without the deadlock of a captured context.
pub fn block_on<F: IntoFuture>(future: F) -> F::Output {
    // Outside the pool's threads, the runtime's thread hook (Tokio's
    // context, with `tokio-compat`) is entered for the wait.
    #[cfg(feature = "tokio-compat")]
    if !crate::pool::on_worker_thread() {
        let runtime = crate::runtime::Handle::current_or_default();
        return runtime.shared().run_in_hook(|| block_on_here(future));
    }
    block_on_here(future)
}

fn block_on_here<F: IntoFuture>(future: F) -> F::Output {
    let mut future = pin!(future.into_future());
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    // On a pool thread, counted blocked from the first park to the end.
    let mut blocking = None;
    let pool = crate::pool::current_pool();
    loop {
        // Under a paused clock, the runtime is not idle while this polls.
        let polling = crate::time::clock::current_virtual().map(|c| c.polling());
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        drop(polling);
        if blocking.is_none() {
            blocking = Some(crate::pool::BlockingGuard::enter());
        }
        while !thread_waker.take_notified() {
            match &pool {
                None => std::thread::park(),
                Some(pool) => {
                    if !(pool.is_exhausted() && pool.run_one_queued()) {
                        std::thread::park_timeout(pool.exhaustion_recheck());
                    }
                }
            }
        }
    }
}
