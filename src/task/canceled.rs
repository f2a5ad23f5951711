//! Cancellation as an error: [`CanceledError`], why it happened
//! ([`CancelReason`]), and how a cancellation is recognised inside another
//! error ([`CANCELLATION_SOURCE_DEPTH`]).
//!
//! C#: `OperationCanceledException`.

use super::AggregateError;
use super::error::{Fault, TaskError};
use crate::cancel::CancellationToken;
use std::error::Error;
use std::fmt;

/// How deep into an error's `source()` chain a task body's error is
/// searched for a cancellation: the error itself is depth 0, its source
/// depth 1, and so on, up to and including this depth.
///
/// A body that ends with an error that *means* cancellation — a
/// [`CanceledError`], a canceled [`TaskError`], or an `io::Error` carrying
/// one (what a socket call canceled by its token returns) — at any of these
/// depths ends its task Canceled, however the error was wrapped (an
/// `anyhow` context, a user enum with `#[source]`, a `Box<dyn Error>`), as
/// an `OperationCanceledException` ends a C# async method Canceled. The
/// wrapper is kept: [`CanceledError::carrier`], and
/// [`TaskError::downcast_ref`] finds it. An [`AggregateError`] is not
/// searched: it holds several outcomes, and stays a fault.
pub const CANCELLATION_SOURCE_DEPTH: usize = 32;

/// Why a cancellation happened, when the runtime knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CancelReason {
    /// A cancellation token was signalled, or code asked for cancellation.
    Requested,
    /// The runtime shut down while the task was pending.
    RuntimeShutdown,
    /// A continuation's condition (`OnlyOnFaulted`, `NotOnCanceled`, …) did
    /// not hold for its antecedent.
    ContinuationConditionNotMet,
    /// The context the task was homed on (a dispatcher, a
    /// `SynchronizationContext`) shut down, or dropped the task unrun.
    ContextShutdown,
}

/// A cancellation. C#: `OperationCanceledException` (and its subclass
/// `TaskCanceledException`), carrying the token that caused it, if any.
#[derive(Clone)]
pub struct CanceledError {
    token: Option<CancellationToken>,
    reason: CancelReason,
    /// The error that carried this cancellation out of a task body, when it
    /// was wrapped (see [`CANCELLATION_SOURCE_DEPTH`]).
    carrier: Option<Fault>,
}

impl CanceledError {
    /// A cancellation with no token. C#: `new OperationCanceledException()`.
    pub fn new() -> CanceledError {
        CanceledError {
            token: None,
            reason: CancelReason::Requested,
            carrier: None,
        }
    }

    /// A cancellation caused by `token`. C#: `new
    /// OperationCanceledException(token)`.
    pub fn with_token(token: CancellationToken) -> CanceledError {
        CanceledError {
            token: Some(token),
            reason: CancelReason::Requested,
            carrier: None,
        }
    }

    pub(crate) fn with_reason(reason: CancelReason) -> CanceledError {
        CanceledError {
            token: None,
            reason,
            carrier: None,
        }
    }

    /// The token whose cancellation caused this, if any. C#:
    /// `OperationCanceledException.CancellationToken`.
    pub fn token(&self) -> Option<&CancellationToken> {
        self.token.as_ref()
    }

    /// Why the cancellation happened.
    pub fn reason(&self) -> CancelReason {
        self.reason
    }

    /// The error that carried this cancellation out of a task body, if it
    /// was wrapped in one (a user error whose `source()` chain holds the
    /// cancellation; see [`CANCELLATION_SOURCE_DEPTH`]). C#: the exception
    /// whose inner exception was the `OperationCanceledException`.
    pub fn carrier(&self) -> Option<&(dyn Error + Send + Sync + 'static)> {
        self.carrier.as_ref().map(Fault::as_error)
    }

    pub(crate) fn carrier_fault(&self) -> Option<&Fault> {
        self.carrier.as_ref()
    }

    /// This cancellation, carried out of a task body by `carrier`.
    pub(crate) fn carried_by(mut self, carrier: Fault) -> CanceledError {
        self.carrier = Some(carrier);
        self
    }

    /// What a cancellation that does not count as one becomes (C#: an
    /// `OperationCanceledException` from a synchronous delegate, for
    /// another token): a fault holding the error the body ended with.
    pub(crate) fn into_fault(mut self) -> Fault {
        match self.carrier.take() {
            Some(f) => f,
            None => Fault::new(self),
        }
    }
}

impl Default for CanceledError {
    fn default() -> Self {
        CanceledError::new()
    }
}

impl fmt::Debug for CanceledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanceledError")
            .field("has_token", &self.token.is_some())
            .field("reason", &self.reason)
            .field("carrier", &self.carrier)
            .finish()
    }
}

impl fmt::Display for CanceledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            CancelReason::Requested => f.write_str("the operation was canceled"),
            CancelReason::RuntimeShutdown => {
                f.write_str("the operation was canceled because its runtime shut down")
            }
            CancelReason::ContinuationConditionNotMet => f.write_str(
                "the continuation was canceled because its antecedent did not end as its options require",
            ),
            CancelReason::ContextShutdown => f.write_str(
                "the operation was canceled because the context it runs on (a dispatcher or SynchronizationContext) shut down",
            ),
        }
    }
}

impl Error for CanceledError {}

/// The cancellation inside `error`, if there is one within
/// [`CANCELLATION_SOURCE_DEPTH`] (an `io::Error` is looked through to the
/// error it wraps, which `io::Error::source` skips).
pub(crate) fn find_in_chain(error: &(dyn Error + 'static)) -> Option<CanceledError> {
    let mut current = Some(error);
    for _ in 0..=CANCELLATION_SOURCE_DEPTH {
        let e = current?;
        if let Some(c) = e.downcast_ref::<CanceledError>() {
            return Some(c.clone());
        }
        if let Some(te) = e.downcast_ref::<TaskError>() {
            if let TaskError::Canceled(c) = te {
                return Some(c.clone());
            }
        } else if e.is::<AggregateError>() {
            return None;
        } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
            current = match io.get_ref() {
                Some(inner) => Some(inner as &(dyn Error + 'static)),
                None => None,
            };
            continue;
        }
        current = e.source();
    }
    None
}
