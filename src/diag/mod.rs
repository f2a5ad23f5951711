//! Diagnostics: the task dump (every live task, what it waits on, async
//! stacks, deadlocks), counters, and the hooks where failures nobody
//! handled are reported, and where the thread pool reports starvation and
//! slow polls.

pub mod counters;
pub mod dump;
pub(crate) mod emit;
pub(crate) mod guard;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
pub mod observe;
pub(crate) mod settings;
pub mod slow_poll;
pub mod starvation;
pub mod unhandled;
pub mod unobserved;

pub use crate::runtime::{RuntimeCounters, counters, live_runtimes};
pub use crate::sync::waits::waiting_on;
pub use counters::ThreadCounters;
pub use dump::{
    Deadlock, DeadlockEdge, DumpSignal, TaskDump, TaskInfo, TaskKindInfo, WaitingOn, dump,
    dump_on_signal, find_deadlocks,
};
#[cfg(feature = "metrics")]
pub use metrics::{MetricsPublisher, publish_metrics};
pub use slow_poll::{SlowPollEvent, SlowPollHandler, set_slow_poll_handler};
pub use starvation::{StarvationEvent, StarvationHandler, StarvationKind, set_starvation_handler};
pub use unhandled::{
    ErrorOrigin, UnhandledError, UnhandledErrorHandler, UnhandledErrorPolicy,
    set_unhandled_error_handler, set_unhandled_error_policy, unhandled_error_policy,
};
pub use unobserved::{
    UnobservedFault, UnobservedFaultHandler, UnobservedFaultPolicy, set_unobserved_fault_handler,
    set_unobserved_fault_policy,
};
