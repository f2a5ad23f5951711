//! Bridges to other async ecosystems.
//!
//! - [`tokio_bridge`] (feature `tokio-compat`): Tokio's context on every
//!   tasklane thread, so crates built on Tokio (reqwest, tokio-postgres,
//!   hyper-util's client, `tokio::time`, `tokio::net`, `tokio::spawn`) run
//!   unmodified inside tasks.
//!
//! The other way round needs no bridge: a [`Task`](crate::Task) is a
//! `Future`, awaited inside a Tokio runtime like any other, with its
//! statuses, errors and continuations as everywhere.

#[cfg(feature = "tokio-compat")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-compat")))]
pub mod tokio_bridge;
