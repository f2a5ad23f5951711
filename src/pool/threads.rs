//! The pool's own OS threads (workers and the supervisor), kept so that a
//! shutdown can wait until each has really ended: a thread that has left
//! its loop still drops its share of the pool and its thread-locals, and
//! "shut down" means nothing of the runtime runs or stays allocated
//! afterwards.

use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Join handles of the threads started and not yet joined.
#[derive(Default)]
pub(crate) struct Threads {
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl Threads {
    /// Keeps `handle`, and joins the threads that have ended meanwhile
    /// (retired workers), so the list stays as long as the live threads.
    pub(crate) fn add(&self, handle: JoinHandle<()>) {
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        let (ended, running): (Vec<_>, Vec<_>) = std::mem::take(&mut *handles)
            .into_iter()
            .partition(|h| h.is_finished());
        *handles = running;
        handles.push(handle);
        drop(handles);
        for h in ended {
            let _ = h.join();
        }
    }

    /// Waits until every thread but the calling one has ended, or
    /// `deadline` passes; joins those that ended. True if all did (the
    /// calling thread, if it is one of them, ends after it returns).
    pub(crate) fn join_all(&self, deadline: Instant) -> bool {
        let me = std::thread::current().id();
        let handles: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.handles.lock().unwrap_or_else(|p| p.into_inner()));
        let (own, mut others): (Vec<_>, Vec<_>) =
            handles.into_iter().partition(|h| h.thread().id() == me);
        let mut all = true;
        while !others.is_empty() {
            let (ended, running): (Vec<_>, Vec<_>) =
                others.into_iter().partition(|h| h.is_finished());
            for h in ended {
                let _ = h.join();
            }
            others = running;
            if others.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                all = false;
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        // Threads still running past the deadline, and the calling thread,
        // stay listed (a later shutdown call may join them).
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        handles.extend(own);
        handles.extend(others);
        all
    }
}
