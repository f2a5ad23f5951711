//! `ThreadPool`: the .NET static surface over the current runtime's pool.

use crate::runtime::Handle;
use crate::task::TaskCreationOptions;
use std::panic::Location;

/// The thread pool of the current runtime (the process-wide default runtime
/// when the calling thread is in none). C#: `System.Threading.ThreadPool`.
#[derive(Debug)]
pub struct ThreadPool {
    _private: (),
}

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
        let h = Handle::current_or_default();
        let shared = h.shared();
        shared.inject.len() + shared.remotes.iter().map(|r| r.queued()).sum::<usize>()
    }

    /// Work items the pool has run since it started. C#:
    /// `ThreadPool.CompletedWorkItemCount`.
    pub fn completed_work_item_count() -> u64 {
        Handle::current_or_default().shared().completed_items()
    }

    /// Threads the pool has now. C#: `ThreadPool.ThreadCount`.
    pub fn thread_count() -> usize {
        Handle::current_or_default().shared().num_workers()
    }
}
