//! Timers: delays, timeouts, and the timer wheel behind them.
//!
#![doc = include_str!("README.md")]

mod cancel_after;
pub(crate) mod clock;
mod delay;
pub(crate) mod driver;
mod settings;
mod task_delay;
mod timeout;
mod virtual_time;
pub(crate) mod wheel;

#[cfg(all(test, loom))]
mod loom_tests;

pub use delay::{Delay, delay, delay_until};
pub use driver::active_count;
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
pub use virtual_time::{ClockError, advance, is_paused, now, pause, resume, set_auto_advance};
