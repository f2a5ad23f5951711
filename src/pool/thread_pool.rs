//! `ThreadPool`: the .NET static surface over the current runtime's pool,
//! and the same calls per runtime on [`Handle`].

use super::MAX_POSSIBLE_THREADS;
use super::hill_climbing::Decision;
use crate::runtime::Handle;
use crate::task::TaskCreationOptions;
use std::fmt;
use std::panic::Location;

/// The thread pool of the current runtime (the process-wide default runtime
/// when the calling thread is in none). C#: `System.Threading.ThreadPool`.
#[derive(Debug)]
pub struct ThreadPool {
    _private: (),
}

/// Why a thread limit was refused (C#'s `SetMinThreads`/`SetMaxThreads`
/// return false for the same cases).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadPoolLimitError {
    /// The asked minimum is above the current maximum.
    MinAboveMax {
        /// The minimum asked for.
        min: usize,
        /// The current maximum.
        max: usize,
    },
    /// The asked maximum is below the current minimum (or zero).
    MaxBelowMin {
        /// The maximum asked for.
        max: usize,
        /// The current minimum.
        min: usize,
    },
}

impl fmt::Display for ThreadPoolLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ThreadPoolLimitError::MinAboveMax { min, max } => write!(
                f,
                "the minimum thread count {min} is above the maximum {max}; raise the maximum first (set_max_threads)"
            ),
            ThreadPoolLimitError::MaxBelowMin { max, min } => write!(
                f,
                "the maximum thread count {max} is below the minimum {min}; lower the minimum first (set_min_threads), and keep the maximum at least 1"
            ),
        }
    }
}

impl std::error::Error for ThreadPoolLimitError {}

impl ThreadPool {
    /// Queues `f` to run on a pool thread, fire-and-forget. A panic in `f`
    /// is reported as an unobserved fault (with the queuing location); the
    /// worker survives. C#: `ThreadPool.QueueUserWorkItem`.
    ///
    /// ```
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// tasklane::ThreadPool::queue_user_work_item(move || tx.send(5).unwrap());
    /// assert_eq!(rx.recv().unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn queue_user_work_item<F>(f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let spawn = crate::task::spawn::Spawn::work(
            TaskCreationOptions::DENY_CHILD_ATTACH,
            Location::caller(),
        );
        drop(spawn.spawn(crate::task::ClosureBody::new(f)));
    }

    /// Work items queued and not yet started, across every queue. C#:
    /// `ThreadPool.PendingWorkItemCount`.
    pub fn pending_work_item_count() -> usize {
        Handle::current_or_default().pending_work_item_count()
    }

    /// Work items the pool has run since it started. C#:
    /// `ThreadPool.CompletedWorkItemCount`.
    pub fn completed_work_item_count() -> u64 {
        Handle::current_or_default().completed_work_item_count()
    }

    /// Threads the pool has now, blocked and idle ones included. C#:
    /// `ThreadPool.ThreadCount`.
    pub fn thread_count() -> usize {
        Handle::current_or_default().thread_count()
    }

    /// Sets the minimum thread count (see [`Handle::set_min_threads`]). C#:
    /// `ThreadPool.SetMinThreads`.
    pub fn set_min_threads(threads: usize) -> Result<(), ThreadPoolLimitError> {
        Handle::current_or_default().set_min_threads(threads)
    }

    /// Sets the maximum thread count (see [`Handle::set_max_threads`]). C#:
    /// `ThreadPool.SetMaxThreads`.
    pub fn set_max_threads(threads: usize) -> Result<(), ThreadPoolLimitError> {
        Handle::current_or_default().set_max_threads(threads)
    }

    /// The minimum thread count. C#: `ThreadPool.GetMinThreads`.
    pub fn get_min_threads() -> usize {
        Handle::current_or_default().get_min_threads()
    }

    /// The maximum thread count. C#: `ThreadPool.GetMaxThreads`.
    pub fn get_max_threads() -> usize {
        Handle::current_or_default().get_max_threads()
    }

    /// The maximum minus the threads busy now. C#:
    /// `ThreadPool.GetAvailableThreads`.
    pub fn get_available_threads() -> usize {
        Handle::current_or_default().get_available_threads()
    }
}

/// The pool surface of one runtime (what [`ThreadPool`] does for the
/// current one).
impl Handle {
    /// Sets the minimum thread count: the pool keeps at least this many
    /// threads (idle ones do not retire below it) and runs at least this
    /// many at once when work is queued, starting threads on demand. Zero
    /// is taken as one. Fails (changing nothing) if above the maximum. C#:
    /// `ThreadPool.SetMinThreads` (which returns false instead).
    ///
    /// ```
    /// let rt = tasklane::Runtime::builder().worker_threads(2).build().unwrap();
    /// let h = rt.handle();
    /// h.set_min_threads(4).unwrap();
    /// assert_eq!(h.get_min_threads(), 4);
    /// assert!(h.set_min_threads(h.get_max_threads() + 1).is_err());
    /// ```
    pub fn set_min_threads(&self, threads: usize) -> Result<(), ThreadPoolLimitError> {
        let (_, max) = self.shared().limits();
        if threads > max {
            return Err(ThreadPoolLimitError::MinAboveMax { min: threads, max });
        }
        self.shared().set_limits(threads.max(1), max);
        Ok(())
    }

    /// Sets the maximum thread count, blocked threads included: past it the
    /// pool adds no thread, for blocking or starvation. Values above
    /// [`MAX_POSSIBLE_THREADS`] are taken as that. Fails (changing nothing)
    /// if below the minimum. Threads above a lowered maximum leave as they
    /// go idle. C#: `ThreadPool.SetMaxThreads` (which returns false
    /// instead).
    pub fn set_max_threads(&self, threads: usize) -> Result<(), ThreadPoolLimitError> {
        let (min, _) = self.shared().limits();
        if threads < min {
            return Err(ThreadPoolLimitError::MaxBelowMin { max: threads, min });
        }
        self.shared()
            .set_limits(min, threads.min(MAX_POSSIBLE_THREADS));
        Ok(())
    }

    /// The minimum thread count. C#: `ThreadPool.GetMinThreads`.
    pub fn get_min_threads(&self) -> usize {
        self.shared().limits().0
    }

    /// The maximum thread count. C#: `ThreadPool.GetMaxThreads`.
    pub fn get_max_threads(&self) -> usize {
        self.shared().limits().1
    }

    /// The maximum minus the threads busy now (running, searching or
    /// blocked; not parked). C#: `ThreadPool.GetAvailableThreads`.
    pub fn get_available_threads(&self) -> usize {
        let busy = self.shared().counts().unparked;
        self.get_max_threads().saturating_sub(busy)
    }

    /// Threads the pool has now, blocked and idle ones included. C#:
    /// `ThreadPool.ThreadCount`.
    pub fn thread_count(&self) -> usize {
        self.shared().num_workers()
    }

    /// Threads counted as blocked now: inside `blocking(..)`, `wait()` or
    /// `block_on`, or found by the supervisor asleep in a poll. C#: none
    /// (.NET keeps the count internally).
    pub fn blocked_thread_count(&self) -> usize {
        self.shared().counts().blocked
    }

    /// Work items queued and not yet started, across every queue. C#:
    /// `ThreadPool.PendingWorkItemCount`.
    pub fn pending_work_item_count(&self) -> usize {
        self.shared().pending_items()
    }

    /// Work items the pool has run since it started (every poll counts as
    /// one, as .NET counts dispatched work items). C#:
    /// `ThreadPool.CompletedWorkItemCount`.
    pub fn completed_work_item_count(&self) -> u64 {
        self.shared().completed_items()
    }

    /// This runtime's pool id, as [`crate::diag::StarvationEvent::pool_id`]
    /// reports it.
    pub fn pool_id(&self) -> u64 {
        self.shared().id
    }

    /// The recent changes of the pool's thread goal, oldest first: the
    /// hill-climbing controller's decisions (when it is enabled), the
    /// starvation rule's additions, idle timeouts and limit changes. C#:
    /// none (.NET keeps this ring log for its debugger extension).
    pub fn thread_goal_log(&self) -> Vec<Decision> {
        self.shared().decisions()
    }
}
