//! # tasklane
//!
//! The .NET task runtime, rebuilt for Rust: [`Task<T>`] as a shared promise
//! with a status lifecycle and continuations, [`TaskCompletionSource`], a
//! work-stealing [`ThreadPool`] that adds threads when work blocks,
//! [`SynchronizationContext`] and `configure_await`, [`ExecutionContext`] and
//! [`AsyncLocal`], [`CancellationTokenSource`], [`AggregateError`],
//! `when_all`/`when_any`, timers and async sockets — and every pitfall of
//! async code detected, named and survived: sync-over-async deadlocks, pool
//! starvation, unobserved faults, failed fire-and-forget work, a promise
//! nobody will complete.
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
//!
//! ## Getting started
//!
//! ```toml
//! [dependencies]
//! tasklane = "0.1"
//! ```
//!
//! Then call it as you would in C#: `Task::run` from anywhere starts the
//! process-wide default runtime on first use; `#[tasklane::main]` makes an
//! `async fn main`; [`Runtime::builder`] makes a runtime of your own. The
//! errors a body ends with are any a Rust program has (`anyhow::Error`,
//! `Box<dyn Error + Send + Sync>`, `io::Error`, your own enum), and a task
//! you drop without awaiting is a compiler warning.
//!
//! ```
//! #[tasklane::main]
//! async fn main() -> anyhow::Result<()> {
//!     let config = tasklane::Task::try_run_async(async {
//!         let text = tasklane::fs::read_to_string("/proc/self/status").await?;
//!         anyhow::Ok(text.lines().count())
//!     });
//!     let lines = config.await?;
//!     assert!(lines > 0);
//!     Ok(())
//! }
//! ```
//!
//! **Features** (`tasklane = { version = "0.1", features = ["hyper"] }`):
//!
//! | feature | default | what it gives |
//! |---|---|---|
//! | `anyhow` | yes | a task body that ends with an `anyhow::Error` keeps it whole: [`Fault::as_anyhow`](task::Fault), and `downcast_ref` finds the error it was made from and its contexts |
//! | `tokio-compat` | yes | Tokio's context on every tasklane thread: crates built on Tokio (reqwest, tokio-postgres, `tokio::time`, `tokio::spawn`) run unmodified inside tasks ([`compat::tokio_bridge`]) |
//! | `hyper` | no | hyper 1.x on tasklane: `hyper::rt::Read`/`Write` on [`net::TcpStream`], and `net::hyper_rt::{Executor, Timer}` for hyper's server and client |
//! | `tokio-io` | no | Tokio's `AsyncRead`/`AsyncWrite` on tasklane's sockets, for crates written against Tokio's I/O traits |
//! | `metrics` | no | the runtime's counters published through the `metrics` facade under .NET's EventCounters names ([`diag::publish_metrics`](diag)) |
//! | `tokio-console` | no | the `tracing` spans `console-subscriber` reads: the real `tokio-console` lists tasklane's tasks and timers (build console-subscriber with `--cfg console_without_tokio_unstable`) |
//!
//! Where tasklane says things at run time (an unobserved fault, a starving
//! pool, a slow shutdown), it is a `tracing` event and, with no subscriber
//! installed, one line on stderr; thousands of identical reports are summed
//! up in one line. [`diag`] has the handlers that take them instead, and
//! the views of a live program: [`diag::dump()`] (every task, what it waits
//! on, async stacks, deadlocks), [`diag::counters()`], and
//! [`diag::dump_on_signal`]. [`testing`] is what `#[tasklane::test]` runs;
//! [`time::pause`] gives tests virtual time.
//!
//! ## Not provided (yet), and what to use meanwhile
//!
//! | .NET | meanwhile |
//! |---|---|
//! | `PeriodicTimer`, `System.Threading.Timer` | a loop over [`time::delay`] |
//! | `IAsyncEnumerable<T>`, `await foreach` | a `futures_core::Stream` from any crate |
//! | WinForms/WPF/GTK synchronization contexts | a [`Dispatcher`] thread that posts to the UI loop itself |
//! | Windows and macOS | Linux only for now (epoll, `/proc`) |
//!
#![doc = include_str!("../docs/dotnet-map.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub(crate) mod loom;

pub mod cancel;
pub mod compat;
pub mod context;
pub mod diag;
pub(crate) mod flow;
pub mod fs;
pub mod hosting;
pub mod io;
pub mod net;
pub mod parallel;
pub mod pool;
pub mod runtime;
pub mod schedulers;
pub mod signal;
pub mod sync;
pub mod task;
pub mod testing;
pub mod time;

mod must_use_checks;

pub use cancel::{CancellationToken, CancellationTokenRegistration, CancellationTokenSource};
pub use context::{
    AsyncLocal, ConfigureAwaitExt, Dispatcher, ExecutionContext, SynchronizationContext,
    fire_and_forget, switch_to,
};
pub use pool::{ThreadPool, blocking};
pub use runtime::{Builder, Handle, Runtime, TaskBuilder, TaskFactory, block_on};
pub use task::{
    AggregateError, BoxError, CanceledError, ContinuationOptions, InvalidOperationError, Task,
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
