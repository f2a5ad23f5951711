//! Diagnostics: counters, and the hooks where failures nobody handled are
//! reported.

pub mod counters;
pub mod unhandled;
pub mod unobserved;

pub use counters::ThreadCounters;
pub use unhandled::{
    UnhandledError, UnhandledErrorHandler, UnhandledErrorPolicy, set_unhandled_error_handler,
    set_unhandled_error_policy, unhandled_error_policy,
};
pub use unobserved::{UnobservedFault, UnobservedFaultHandler, set_unobserved_fault_handler};
