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
pub mod fs;
pub mod io;
pub mod net;
pub mod pool;
pub mod runtime;
pub mod signal;
pub mod task;
pub mod time;

mod must_use_checks;

pub use cancel::{CancellationToken, CancellationTokenRegistration, CancellationTokenSource};
pub use context::{
    AsyncLocal, ConfigureAwaitExt, Dispatcher, ExecutionContext, SynchronizationContext,
    fire_and_forget, switch_to,
};
pub use pool::{ThreadPool, blocking};
pub use runtime::{Builder, Handle, Runtime, block_on};
pub use task::{
    AggregateError, CanceledError, ContinuationOptions, InvalidOperationError, Task,
    TaskCompletionSource, TaskCreationOptions, TaskError, TaskStatus, yield_now,
};
pub use task::{ManualResetValueTaskSource, SourceCompletedError, ValueTask};
/// Makes an `async fn` an async method in the C# sense: a
/// `configure_await(false)` inside it moves only its own continuation, and
/// its caller resumes on its own home (see [`context::async_method`]).
///
/// ```
/// use tasklane::context::{ConfigureAwaitExt, Dispatcher};
/// #[tasklane::async_method]
/// async fn get_data() -> u32 {
///     tasklane::Task::run(|| 41).configure_await(false).await.unwrap() + 1
/// }
/// let ui = Dispatcher::start("ui").unwrap();
/// let t = ui.spawn(async { (get_data().await, Dispatcher::current().is_some()) });
/// assert_eq!(t.result().unwrap(), (42, true));
/// # ui.shutdown();
/// ```
pub use tasklane_macros::async_method;
/// Runs an `async fn main` on tasklane. C#: `static async Task Main()`.
///
/// ```
/// #[tasklane::main]
/// async fn main() {
///     let v = tasklane::Task::run(|| 21).await.unwrap();
///     assert_eq!(v * 2, 42);
/// }
/// ```
pub use tasklane_macros::main;
/// Runs an `async fn` test on tasklane (as `#[test]`, blocking on the body).
pub use tasklane_macros::test;
