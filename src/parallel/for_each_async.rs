//! `Parallel::for_each_async`: at most N async bodies in flight over a
//! sequence of items. C#: `Parallel.ForEachAsync` (.NET 6).

use super::Parallel;
use super::body::LoopBodyResult;
use super::options::ParallelOptions;
use crate::cancel::{CancellationToken, CancellationTokenSource};
use crate::task::{InvalidOperationError, Task, TaskCompletionSource, TaskError};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// What the loop's workers share.
struct Shared<It, F> {
    items: Mutex<It>,
    body: F,
    /// Fires on the first failure, or with the caller's token.
    cts: CancellationTokenSource,
    external: CancellationToken,
    errors: Mutex<Vec<TaskError>>,
}

impl<It, F> Shared<It, F> {
    /// Records a failure and cancels the other bodies. A cancellation seen
    /// once the loop is cancelling is the cancellation itself, not a
    /// failure.
    fn fail(&self, e: TaskError) {
        if e.is_canceled() && self.cts.is_cancellation_requested() {
            return;
        }
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e);
        let _ = self.cts.cancel();
    }
}

/// Polls a body's future, turning a panic into an error.
struct CatchUnwind<Fut>(Pin<Box<Fut>>);

impl<Fut: Future> Future for CatchUnwind<Fut> {
    type Output = std::thread::Result<Fut::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(p) => Poll::Ready(Err(p)),
        }
    }
}

async fn worker<It, F, Fut, R>(s: Arc<Shared<It, F>>)
where
    It: Iterator,
    F: Fn(It::Item, CancellationToken) -> Fut,
    Fut: Future<Output = R>,
    R: LoopBodyResult,
{
    while !s.cts.is_cancellation_requested() {
        let next = catch_unwind(AssertUnwindSafe(|| {
            s.items.lock().unwrap_or_else(|p| p.into_inner()).next()
        }));
        let item = match next {
            Ok(Some(item)) => item,
            Ok(None) => break,
            Err(p) => {
                s.fail(TaskError::from_panic(p));
                break;
            }
        };
        let started = catch_unwind(AssertUnwindSafe(|| (s.body)(item, s.cts.token())));
        let outcome = match started {
            Ok(fut) => CatchUnwind(Box::pin(fut)).await,
            Err(p) => Err(p),
        };
        match outcome {
            Ok(r) => {
                if let Err(e) = r.into_loop_result() {
                    s.fail(TaskError::new(e));
                }
            }
            Err(p) => s.fail(TaskError::from_panic(p)),
        }
    }
}

impl Parallel {
    /// Runs `body(item, token)` for every item, at most
    /// `max_degree_of_parallelism` at once (default: the processor count),
    /// on the pool. The first failure (an `Err`, a panic) cancels `token`
    /// for the bodies in flight and starts no more; the returned task then
    /// faults with every failure seen (`wait()` gives them all, `.await`
    /// the first). The options' token cancels the loop the same way, and
    /// the task ends canceled. C#: `Parallel.ForEachAsync(source, options,
    /// async (item, token) => …)`.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use tasklane::parallel::{Parallel, ParallelOptions};
    ///
    /// let done = Arc::new(AtomicUsize::new(0));
    /// let d = done.clone();
    /// let options = ParallelOptions::default().with_max_degree_of_parallelism(8);
    /// let task = Parallel::for_each_async(0..32, &options, move |_item, token| {
    ///     let d = d.clone();
    ///     async move {
    ///         tasklane::Task::delay_with_token(Duration::from_millis(1), &token).await?;
    ///         d.fetch_add(1, Ordering::Relaxed);
    ///         Ok::<(), tasklane::TaskError>(())
    ///     }
    /// });
    /// task.wait().unwrap();
    /// assert_eq!(done.load(Ordering::Relaxed), 32);
    /// ```
    #[track_caller]
    pub fn for_each_async<I, F, Fut, R>(items: I, options: &ParallelOptions, body: F) -> Task<()>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item, CancellationToken) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: LoopBodyResult + 'static,
    {
        let dop = match options.max_degree_of_parallelism {
            Some(0) => {
                return Task::from_error(InvalidOperationError::ZeroDegreeOfParallelism);
            }
            Some(d) => d,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let external = options.cancellation_token.clone();
        let shared = Arc::new(Shared {
            items: Mutex::new(items.into_iter()),
            body,
            cts: CancellationTokenSource::create_linked_token_source(&[&external]),
            external,
            errors: Mutex::new(Vec::new()),
        });
        let promise = TaskCompletionSource::<()>::new();
        let done = promise.task();
        let workers: Vec<Task<()>> = (0..dop)
            .map(|_| Task::run_async(worker(shared.clone())))
            .collect();
        Task::run_async(async move {
            for w in workers {
                if let Err(e) = w.await {
                    shared.fail(e);
                }
            }
            let errors =
                std::mem::take(&mut *shared.errors.lock().unwrap_or_else(|p| p.into_inner()));
            if !errors.is_empty() {
                let _ = promise.set_errors(errors);
            } else if shared.external.is_cancellation_requested() {
                let _ = promise.set_canceled_with(shared.external.clone());
            } else {
                let _ = promise.set_result(());
            }
        })
        .forget();
        done
    }
}
