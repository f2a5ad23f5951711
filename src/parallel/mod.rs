//! Data parallelism on the pool's own workers: `Parallel::for_`,
//! `for_each`, `invoke`, and `for_each_async` for bounded concurrent async
//! work. C#: `System.Threading.Tasks.Parallel`.
//!
//! The calling thread takes part: it runs iterations itself, and pool
//! workers join it as they pick up the loop's replicas (`pool::replicate`).
//! Called from a pool worker it does not hold the worker idle: it runs
//! iterations, and only the final wait for other workers' last chunks
//! counts as blocking (compensated by the pool if it lasts). Nested loops
//! neither deadlock (a loop's caller can always finish every iteration
//! itself) nor oversubscribe (each loop adds replicas one at a time, only
//! as workers take them). A body that blocks is pool work like any other:
//! the supervisor adds a worker, which picks up the next replica.
//!
//! How iterations are handed out is in `partition.rs`: guided chunks of a
//! range, growing chunks of an iterator.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use tasklane::parallel::Parallel;
//!
//! // Thread-local sums, added up once per participant: no contention.
//! let total = AtomicU64::new(0);
//! Parallel::for_with_local(
//!     0..1_000_000,
//!     &Default::default(),
//!     || 0u64,
//!     |i, _state, sum| sum + i as u64,
//!     |sum| { total.fetch_add(sum, Ordering::Relaxed); },
//! )
//! .unwrap();
//! assert_eq!(total.load(Ordering::Relaxed), 999_999 * 1_000_000 / 2);
//! ```

mod body;
mod driver;
mod for_each_async;
#[cfg(all(test, loom))]
mod loom_tests;
mod options;
mod partition;
mod settings;
mod state;

pub use body::LoopBodyResult;
pub use options::{ParallelLoopResult, ParallelOptions};
pub use state::ParallelLoopState;

use crate::task::AggregateError;
use std::ops::Range;

/// Parallel loops and invocations. Every form returns how the loop ended
/// ([`ParallelLoopResult`]) or an [`AggregateError`] with every failure
/// (body panics and `Err`s), or with a cancellation when the options'
/// token fired. Participants look at the loop's state between blocks of
/// iterations (sized to take about 100 µs): once a failure, a `stop` or
/// the token is seen, no block starts; the participant that failed starts
/// nothing more; iterations running finish. A loop never loses a failure.
/// C#: `System.Threading.Tasks.Parallel`.
#[derive(Debug)]
pub struct Parallel;

impl Parallel {
    /// Runs `body(i)` for every `i` in `range`, in parallel. C#:
    /// `Parallel.For(from, to, i => …)`.
    ///
    /// ```
    /// use tasklane::parallel::Parallel;
    /// let squares: Vec<std::sync::atomic::AtomicUsize> =
    ///     (0..100).map(|_| Default::default()).collect();
    /// Parallel::for_(0..100, |i| squares[i].store(i * i, std::sync::atomic::Ordering::Relaxed))
    ///     .unwrap();
    /// assert_eq!(squares[9].load(std::sync::atomic::Ordering::Relaxed), 81);
    /// ```
    pub fn for_<R: LoopBodyResult>(
        range: Range<usize>,
        body: impl Fn(usize) -> R + Sync,
    ) -> Result<ParallelLoopResult, AggregateError> {
        Parallel::for_with_state(range, &ParallelOptions::default(), |i, _| body(i))
    }

    /// [`for_`](Self::for_) with options, and the loop state for `stop`
    /// and `break_`. C#: `Parallel.For(from, to, options, (i, state) => …)`.
    pub fn for_with_state<R: LoopBodyResult>(
        range: Range<usize>,
        options: &ParallelOptions,
        body: impl Fn(usize, &ParallelLoopState<'_>) -> R + Sync,
    ) -> Result<ParallelLoopResult, AggregateError> {
        driver::range(
            range,
            options,
            || (),
            |block, s, _| {
                for i in block {
                    s.set_index(i);
                    body(i, s).into_loop_result()?;
                }
                Ok(())
            },
            |_| {},
        )
    }

    /// [`for_with_state`](Self::for_with_state) with a value per
    /// participant: `local_init` makes it when a participant starts, each
    /// iteration takes and returns it, `local_finally` gets it at the end
    /// (aggregation without contention). A value whose iteration panicked
    /// is lost with the panic. C#: `Parallel.For<TLocal>(from, to,
    /// options, localInit, body, localFinally)`.
    pub fn for_with_local<L>(
        range: Range<usize>,
        options: &ParallelOptions,
        local_init: impl Fn() -> L + Sync,
        body: impl Fn(usize, &ParallelLoopState<'_>, L) -> L + Sync,
        local_finally: impl Fn(L) + Sync,
    ) -> Result<ParallelLoopResult, AggregateError> {
        driver::range(
            range,
            options,
            || Some(local_init()),
            |block, s, l: &mut Option<L>| {
                if let Some(mut v) = l.take() {
                    for i in block {
                        s.set_index(i);
                        v = body(i, s, v);
                    }
                    *l = Some(v);
                }
                Ok(())
            },
            |l| {
                if let Some(v) = l {
                    local_finally(v)
                }
            },
        )
    }

    /// Runs `body` for every item of a slice (a `Vec`, an array), split by
    /// index as a range (guided chunks). C#: `Parallel.ForEach(list, …)`
    /// over an `IList<T>`.
    pub fn for_each<T: Sync, R: LoopBodyResult>(
        items: &[T],
        body: impl Fn(&T) -> R + Sync,
    ) -> Result<ParallelLoopResult, AggregateError> {
        Parallel::for_each_with_state(items, &ParallelOptions::default(), |t, _| body(t))
    }

    /// [`for_each`](Self::for_each) with options and the loop state (whose
    /// iteration index is the item's index).
    pub fn for_each_with_state<T: Sync, R: LoopBodyResult>(
        items: &[T],
        options: &ParallelOptions,
        body: impl Fn(&T, &ParallelLoopState<'_>) -> R + Sync,
    ) -> Result<ParallelLoopResult, AggregateError> {
        Parallel::for_with_state(0..items.len(), options, |i, s| body(&items[i], s))
    }

    /// Runs `body` for every item of any iterator, taking items in chunks
    /// that grow 1, 2, 4, … up to 512 under a lock (nothing is known of the
    /// length; `.NET`'s chunk partitioner does the same). The loop state's
    /// index is the item's position. Items move into the body. C#:
    /// `Parallel.ForEach(IEnumerable<T>, options, (item, state) => …)`.
    pub fn for_each_iter<I, R>(
        items: I,
        options: &ParallelOptions,
        body: impl Fn(I::Item, &ParallelLoopState<'_>) -> R + Sync,
    ) -> Result<ParallelLoopResult, AggregateError>
    where
        I: IntoIterator,
        I::IntoIter: Send,
        I::Item: Send,
        R: LoopBodyResult,
    {
        driver::iter(items.into_iter(), options, |item, s| {
            body(item, s).into_loop_result()
        })
    }

    /// Runs every action, in parallel; returns once all ran, with every
    /// failure. C#: `Parallel.Invoke(params Action[])`.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use tasklane::parallel::Parallel;
    /// let n = AtomicU32::new(0);
    /// Parallel::invoke(&[&|| { n.fetch_add(1, Ordering::Relaxed); }, &|| { n.fetch_add(2, Ordering::Relaxed); }])
    ///     .unwrap();
    /// assert_eq!(n.load(Ordering::Relaxed), 3);
    /// ```
    pub fn invoke(actions: &[&(dyn Fn() + Sync)]) -> Result<(), AggregateError> {
        Parallel::invoke_with_options(&ParallelOptions::default(), actions)
    }

    /// [`invoke`](Self::invoke) with options. C#: `Parallel.Invoke(options,
    /// params Action[])`.
    pub fn invoke_with_options(
        options: &ParallelOptions,
        actions: &[&(dyn Fn() + Sync)],
    ) -> Result<(), AggregateError> {
        Parallel::for_with_state(0..actions.len(), options, |i, _| actions[i]()).map(|_| ())
    }
}
