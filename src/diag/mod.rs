//! Diagnostics: counters, and the hooks where failures nobody handled are
//! reported.

pub mod counters;
pub mod unobserved;

pub use counters::ThreadCounters;
pub use unobserved::{UnobservedFault, UnobservedFaultHandler, set_unobserved_fault_handler};
