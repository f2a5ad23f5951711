//! # tasklane
//!
//! The .NET task runtime, rebuilt for Rust: [`Task<T>`] as a shared promise
//! with a status lifecycle and continuations, [`TaskCompletionSource`], a
//! work-stealing [`ThreadPool`], [`AggregateError`], `when_all`/`when_any`,
//! and every pitfall of async code detected, named and survived.
//!
//! ```
//! use tasklane::Task;
//!
//! let answer = Task::run_async(async {
//!     let half = Task::run(|| 21).await.unwrap();
//!     half * 2
//! });
//! assert_eq!(answer.result().unwrap(), 42);
//! ```
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub(crate) mod loom;

pub mod cancel;
pub mod context;
pub mod diag;
pub mod pool;
pub mod runtime;
pub mod task;

pub use cancel::{CancellationToken, CancellationTokenSource};
pub use context::{AsyncLocal, ExecutionContext};
pub use pool::ThreadPool;
pub use runtime::{Builder, Handle, Runtime, block_on};
pub use task::{
    AggregateError, CanceledError, ContinuationOptions, InvalidOperationError, Task,
    TaskCompletionSource, TaskCreationOptions, TaskError, TaskStatus, yield_now,
};
pub use task::{ManualResetValueTaskSource, SourceCompletedError, ValueTask};
