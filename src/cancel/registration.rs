//! `CancellationTokenRegistration`: the handle that keeps a callback
//! registered, and removes it when dropped.

use super::callbacks::Key;
use super::state::Inner;
use super::token::CancellationToken;
use std::fmt;
use std::sync::Arc;

/// A callback registered on a [`CancellationToken`]. Dropping it unregisters
/// the callback; if the callback is running on another thread at that moment,
/// the drop waits until it returns (so whatever the callback uses may be
/// freed right after), unless the drop happens on the thread running the
/// callbacks, inside a callback, where waiting would deadlock.
///
/// To leave the callback registered for the rest of the source's life (what
/// ignoring the registration does in C#), call [`detach`](Self::detach).
///
/// C#: `CancellationTokenRegistration` (`Dispose` is the drop).
#[must_use = "dropping the registration unregisters the callback at once; keep it, or call .detach()"]
pub struct CancellationTokenRegistration {
    listed: Option<(Arc<Inner>, Key)>,
}

impl CancellationTokenRegistration {
    /// A registration with nothing listed: the token could not be cancelled,
    /// or the callback already ran inline.
    pub(crate) fn empty() -> Self {
        CancellationTokenRegistration { listed: None }
    }

    pub(crate) fn listed(inner: Arc<Inner>, key: Key) -> Self {
        CancellationTokenRegistration {
            listed: Some((inner, key)),
        }
    }

    /// The token the callback was registered on; [`CancellationToken::none`]
    /// if nothing is listed (the callback already ran inline, or the token
    /// can never be cancelled). C#: `CancellationTokenRegistration.Token`.
    pub fn token(&self) -> CancellationToken {
        match &self.listed {
            Some((inner, _)) => CancellationToken::from_inner(inner.clone()),
            None => CancellationToken::none(),
        }
    }

    /// Unregisters the callback without waiting for it: true if it was
    /// removed before it started, false if it already ran, is running, or was
    /// never listed. C#: `CancellationTokenRegistration.Unregister()`.
    pub fn unregister(mut self) -> bool {
        match self.listed.take() {
            Some((inner, key)) => inner.unregister(key),
            None => false,
        }
    }

    /// Leaves the callback registered for the rest of the source's life and
    /// lets go of this handle. C#: dropping the
    /// `CancellationTokenRegistration` without calling `Dispose`.
    pub fn detach(mut self) {
        self.listed = None;
    }
}

impl Drop for CancellationTokenRegistration {
    fn drop(&mut self) {
        if let Some((inner, key)) = self.listed.take() {
            inner.unregister_and_wait(key);
        }
    }
}

impl fmt::Debug for CancellationTokenRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationTokenRegistration")
            .field("listed", &self.listed.is_some())
            .finish()
    }
}
