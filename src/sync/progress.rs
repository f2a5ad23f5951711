//! [`Progress<T>`]: progress reports delivered where the reporter's owner
//! lives.

use crate::context::SynchronizationContext;
use std::fmt;
use std::sync::Arc;

/// Something progress can be reported to. C#: `IProgress<T>`.
pub trait IProgress<T>: Send + Sync {
    /// Reports a value. C#: `Report(T)`.
    fn report(&self, value: T);
}

/// Delivers each reported value to a handler on the
/// `SynchronizationContext` that was current when it was created (a UI
/// dispatcher: the handler runs on the UI thread, in the order reported);
/// with none, on the pool. `report` returns at once.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tasklane::context::Dispatcher;
/// use tasklane::sync::{IProgress, Progress};
/// use tasklane::Task;
///
/// let ui = Dispatcher::start("progress-ui").unwrap();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// // Created on the UI thread: reports are handled there.
/// let progress = ui
///     .invoke(move || Progress::new(move |p: u32| {
///         let on_ui = std::thread::current().name() == Some("progress-ui");
///         sink.lock().unwrap().push((p, on_ui));
///     }))
///     .unwrap();
/// Task::run(move || {
///     for p in [10, 50, 100] {
///         progress.report(p);
///     }
/// })
/// .wait()
/// .unwrap();
/// ui.invoke(|| ()).unwrap(); // the reports posted before this ran before it
/// assert_eq!(*seen.lock().unwrap(), [(10, true), (50, true), (100, true)]);
/// # ui.shutdown();
/// ```
///
/// C#: `System.Progress<T>`.
pub struct Progress<T> {
    handler: Arc<dyn Fn(T) + Send + Sync>,
    context: Option<Arc<dyn SynchronizationContext>>,
}

impl<T: Send + 'static> Progress<T> {
    /// Captures the current `SynchronizationContext` (if any) for
    /// `handler`. C#: `new Progress<T>(Action<T>)`.
    pub fn new(handler: impl Fn(T) + Send + Sync + 'static) -> Progress<T> {
        Progress {
            handler: Arc::new(handler),
            context: <dyn SynchronizationContext>::current(),
        }
    }
}

impl<T: Send + 'static> IProgress<T> for Progress<T> {
    fn report(&self, value: T) {
        let handler = self.handler.clone();
        let work = Box::new(move || handler(value));
        match &self.context {
            Some(ctx) => ctx.post(work),
            None => crate::pool::ThreadPool::queue_user_work_item(work),
        }
    }
}

impl<T> Clone for Progress<T> {
    fn clone(&self) -> Self {
        Progress {
            handler: self.handler.clone(),
            context: self.context.clone(),
        }
    }
}

impl<T> fmt::Debug for Progress<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("context", &self.context.as_ref().map(|c| c.name()))
            .finish()
    }
}
