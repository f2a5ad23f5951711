//! Where work runs and what flows with it: `SynchronizationContext`, the
//! `Dispatcher` (a single-thread message loop), `configure_await`,
//! `switch_to`, `fire_and_forget`, blocking waits that cannot deadlock
//! silently, and the `ExecutionContext` with its `AsyncLocal` values.
//!
#![doc = include_str!("README.md")]

mod async_method;
mod configure_await;
pub mod dispatcher;
mod error;
mod fire_and_forget;
pub(crate) mod home;
pub mod joinable;
mod scheduler;
mod start_inline;
mod switch;
pub(crate) mod sync_context;

#[cfg(all(test, loom))]
mod loom_tests;

pub use crate::flow::{
    AsyncFlowControl, AsyncLocal, AsyncLocalValueChangedArgs, ExecutionContext, FlowScope,
    flow_scope,
};
pub use async_method::{AsyncMethod, async_method};
pub use configure_await::{
    ConfigureAwait, ConfigureAwaitExt, ConfigureAwaitOptions, SuppressThrowing,
};
pub use dispatcher::Dispatcher;
pub use error::ContextError;
pub use fire_and_forget::{FireAndForgetOutput, fire_and_forget};
pub use joinable::{
    DeadlockError, DeadlockStep, HeldBy, JoinableWaitSettings, joinable_wait_settings,
    set_joinable_wait_settings,
};
pub use switch::{SwitchTarget, SwitchTo, switch_to, switch_to_thread_pool};
pub use sync_context::{SynchronizationContext, SynchronizationContextScope, Work};
