//! Tokio-based crates inside tasklane tasks.
//!
//! Each tasklane runtime owns a Tokio current-thread runtime (I/O and time
//! drivers enabled), built with it and shut down with it, and every thread
//! of the tasklane runtime runs inside Tokio's context: pool workers, the
//! threads the pool adds for blocking, `LongRunning` threads, dispatcher
//! threads, `block_on`, and a continuation run inline on any other thread.
//! So `tokio::runtime::Handle::current()` works in every task, and with it
//! `tokio::time`, `tokio::net`, `tokio::sync`, `tokio::spawn` and every
//! crate built on them.
//!
//! **Where Tokio's work runs.** Tokio's drivers (epoll for its sockets, its
//! timer wheel) are driven by one thread per runtime, the *bridge thread*
//! (`<runtime thread name>-tokio`), sleeping in Tokio's `block_on`. Tasks
//! given to `tokio::spawn` run there too, as on a current-thread Tokio
//! runtime: they are the small connection tasks of hyper and reqwest and
//! the like. A tasklane task woken by a Tokio resource runs on the
//! tasklane pool, as always. Because the bridge thread never polls a
//! tasklane task (a continuation completed there is queued, not run
//! inline), a task blocking in `wait()` never blocks Tokio's drivers, and
//! the pool's blocking compensation applies to tasks waiting on Tokio
//! resources as to any other.
//!
//! **What it costs.** The Tokio runtime holds an epoll instance, an eventfd
//! and a timer wheel; the bridge thread sleeps in `epoll_wait` and uses no
//! CPU until Tokio is used. A Tokio resource's readiness reaches the task
//! through one extra thread wake-up (the bridge thread's, then the
//! worker's), where Tokio's own runtime wakes the worker that parked in its
//! driver: `docs/BENCHMARKS.md` has the measured ratios.
//!
//! **Shutdown.** The tasklane runtime's shutdown stops the Tokio runtime in
//! the same deadline: tasks given to `tokio::spawn` are dropped, and the
//! bridge thread is joined with the pool's threads.
//!
//! C#: none — .NET has one runtime. This is what `async-compat` does per
//! future, done once per thread.

use crate::pool::hook::{ThreadHook, refuse_tasks_on_this_thread};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// A tasklane runtime's Tokio runtime and the thread that drives it.
pub(crate) struct TokioBridge {
    handle: tokio::runtime::Handle,
    stop: Arc<Stop>,
}

impl TokioBridge {
    /// Builds the Tokio runtime and starts its bridge thread, named
    /// `<thread_name>-tokio`.
    pub(crate) fn start(
        thread_name: &str,
    ) -> std::io::Result<(Arc<TokioBridge>, std::thread::JoinHandle<()>)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = rt.handle().clone();
        let stop = Arc::new(Stop::default());
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("{thread_name}-tokio"))
            .spawn(move || {
                refuse_tasks_on_this_thread();
                rt.block_on(StopFuture(&signal));
                let deadline = signal.deadline().unwrap_or_else(Instant::now);
                // Tokio's tasks are dropped here; its blocking threads get
                // what is left of the deadline.
                rt.shutdown_timeout(deadline.saturating_duration_since(Instant::now()));
            })?;
        Ok((Arc::new(TokioBridge { handle, stop }), thread))
    }

    /// The Tokio runtime's handle.
    pub(crate) fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }
}

impl ThreadHook for TokioBridge {
    fn run(&self, f: &mut dyn FnMut()) {
        let _tokio = self.handle.enter();
        f();
    }

    fn shutdown(&self, deadline: Instant) {
        self.stop.signal(deadline);
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Tells the bridge thread to stop, and by when.
#[derive(Default)]
struct Stop {
    state: Mutex<StopState>,
}

#[derive(Default)]
struct StopState {
    deadline: Option<Instant>,
    waker: Option<Waker>,
}

impl Stop {
    fn signal(&self, deadline: Instant) {
        let waker = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if s.deadline.is_some() {
                return;
            }
            s.deadline = Some(deadline);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn deadline(&self) -> Option<Instant> {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .deadline
    }
}

/// Pending until the stop is signalled.
struct StopFuture<'a>(&'a Stop);

impl Future for StopFuture<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.deadline.is_some() {
            return Poll::Ready(());
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
