//! Compile-time checks that the compiler catches what a user can drop by
//! mistake: each block below must fail to build under
//! `#![deny(unused_must_use)]` (tested as `compile_fail` doctests).
//!
//! A task dropped unawaited, and unforgotten:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! tasklane::Task::run(|| 1);
//! ```
//!
//! The same with the ownership made explicit compiles:
//!
//! ```
//! #![deny(unused_must_use)]
//! tasklane::Task::run(|| 1).forget();
//! let _ = tasklane::Task::run(|| 2);
//! ```
//!
//! A continuation (a task too):
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! let t = tasklane::Task::run(|| 1);
//! t.continue_with(|_| (), tasklane::ContinuationOptions::NONE);
//! ```
//!
//! A `ValueTask`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! tasklane::ValueTask::from_result(1);
//! ```
//!
//! A future never awaited: a delay, a completion, a shared await.
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! tasklane::time::delay(std::time::Duration::from_millis(1));
//! ```
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! let t = tasklane::Task::run(|| 1);
//! t.completion();
//! ```
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! use std::future::IntoFuture;
//! let t = tasklane::Task::run(|| 1);
//! (&t).into_future();
//! ```
//!
//! A cancellation registration (dropping it unregisters at once):
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! let cts = tasklane::CancellationTokenSource::new();
//! cts.token().register(|| ());
//! ```
//!
//! The result of cancelling (a callback's failure is in it):
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! let cts = tasklane::CancellationTokenSource::new();
//! cts.cancel();
//! ```
