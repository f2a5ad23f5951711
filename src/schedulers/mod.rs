//! Task schedulers ready to use, each written against the public
//! [`TaskScheduler`](crate::task::TaskScheduler) trait alone:
//!
//! - [`DeterministicScheduler`] — runs its tasks only when asked
//!   (`run_one`, `run_all`), on the calling thread, in queued order: the
//!   tool for testing what is `WaitingToRun` and in which order
//!   continuations run.
//! - [`LimitedConcurrencyScheduler`] — runs its tasks on the pool, at most
//!   N at a time. C#: the `LimitedConcurrencyLevelTaskScheduler` of the
//!   `TaskScheduler` documentation.
//! - [`ConcurrentExclusiveSchedulerPair`] — a reader/writer pair: tasks of
//!   its concurrent scheduler run together, a task of its exclusive
//!   scheduler runs alone. C#: `ConcurrentExclusiveSchedulerPair`.

mod concurrent_exclusive;
mod deterministic;
mod limited;

pub use concurrent_exclusive::{ConcurrentExclusiveSchedulerPair, PairCompleted};
pub use deterministic::DeterministicScheduler;
pub use limited::LimitedConcurrencyScheduler;
