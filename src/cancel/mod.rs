//! Cooperative cancellation: `CancellationTokenSource`, `CancellationToken`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

struct Inner {
    canceled: AtomicBool,
}

/// Signals cancellation to the tokens it hands out. C#:
/// `CancellationTokenSource`.
pub struct CancellationTokenSource {
    inner: Arc<Inner>,
}

impl CancellationTokenSource {
    /// A new source, not cancelled. C#: `new CancellationTokenSource()`.
    pub fn new() -> Self {
        CancellationTokenSource {
            inner: Arc::new(Inner {
                canceled: AtomicBool::new(false),
            }),
        }
    }

    /// A token observing this source. C#: `CancellationTokenSource.Token`.
    pub fn token(&self) -> CancellationToken {
        CancellationToken {
            inner: Some(self.inner.clone()),
        }
    }

    /// Requests cancellation. C#: `Cancel()`.
    pub fn cancel(&self) {
        self.inner.canceled.store(true, Ordering::SeqCst);
    }
}

impl Default for CancellationTokenSource {
    fn default() -> Self {
        Self::new()
    }
}

/// Observes a source's cancellation. C#: `CancellationToken`.
#[derive(Clone, Default)]
pub struct CancellationToken {
    inner: Option<Arc<Inner>>,
}

impl CancellationToken {
    /// A token that can never be cancelled. C#: `CancellationToken.None`.
    pub fn none() -> Self {
        CancellationToken { inner: None }
    }

    /// True once cancellation was requested. C#: `IsCancellationRequested`.
    pub fn is_cancellation_requested(&self) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| i.canceled.load(Ordering::SeqCst))
    }
}

impl PartialEq for CancellationToken {
    fn eq(&self, other: &Self) -> bool {
        match (&self.inner, &other.inner) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for CancellationToken {}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("requested", &self.is_cancellation_requested())
            .finish()
    }
}
