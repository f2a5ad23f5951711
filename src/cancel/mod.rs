//! Cooperative cancellation.
//!
#![doc = include_str!("README.md")]

mod callbacks;
mod future;
mod linked;
mod registration;
mod small_fn;
pub(crate) mod source;
pub(crate) mod spin_lock;
pub(crate) mod state;
mod token;

#[cfg(all(test, loom))]
mod loom_tests;

pub use future::{Cancelled, RunUntilCancelled, WaitAsync, with_cancellation};
pub use registration::CancellationTokenRegistration;
pub use source::CancellationTokenSource;
pub use token::CancellationToken;
