//! The task core: `Task<T>` as a shared promise with a status lifecycle and
//! continuations, `TaskCompletionSource`, errors, combinators.
//!
//! C#: the `System.Threading.Tasks` namespace.
//!
#![doc = include_str!("README.md")]

mod aggregate;
pub(crate) mod awaited;
mod body;
mod canceled;
pub(crate) mod cell;
mod children;
pub(crate) mod clock;
mod combinators;
mod completion_source;
#[cfg(feature = "tokio-console")]
pub(crate) mod console;
pub(crate) mod continuation;
mod continue_with;
mod create;
pub(crate) mod current;
pub(crate) mod directory;
mod error;
mod handle;
pub(crate) mod handles;
pub(crate) mod header;
mod options;
pub(crate) mod raw;
pub(crate) mod registry;
pub(crate) mod run_continuations;
pub(crate) mod schedule;
pub(crate) mod scheduler;
pub(crate) mod spawn;
pub(crate) mod state;
mod status;
mod value_task;
pub(crate) mod wait;
mod wait_many;
pub(crate) mod waiting;
mod yield_now;

#[cfg(all(test, loom))]
mod loom_awaited;
#[cfg(all(test, loom))]
pub(crate) mod loom_home;
#[cfg(all(test, loom))]
mod loom_reports;
#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, loom))]
mod loom_value_task;

pub use aggregate::AggregateError;
pub use canceled::CANCELLATION_SOURCE_DEPTH;
pub use completion_source::TaskCompletionSource;
pub use current::current_id;
pub(crate) use current::record_waiting;
pub use error::{
    BoxError, BrokenPromiseError, CancelReason, CanceledError, Fault, InvalidOperationError,
    PanicError, SetResultError, TaskError,
};
pub use handle::{Completion, IntoOutput, Shared, Task};
pub use options::{ContinuationOptions, TaskCreationOptions};
pub use scheduler::{ScheduledTask, Scheduler, TaskScheduler};
pub use status::TaskStatus;
pub use value_task::{ManualResetValueTaskSource, SourceCompletedError, ValueTask};
pub use yield_now::{YieldNow, yield_now};

pub(crate) use body::{
    AsyncBody, ClosureBody, OutcomeBody, TryAsyncBody, TryClosureBody, work_error,
};
pub(crate) use cell::Outcome;
pub(crate) use continue_with::ContinuationBody;
pub(crate) use handle::ErasedTask;
pub(crate) use handle::register as handle_register;
pub(crate) use header::TaskKind;
