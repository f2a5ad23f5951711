//! Linked sources: a source cancelled when any of its parents is.

use super::callbacks::Callback;
use super::registration::CancellationTokenRegistration;
use super::source::CancellationTokenSource;
use super::state::Registered;
use super::token::CancellationToken;

impl CancellationTokenSource {
    /// A new source that is cancelled when any of `tokens` is (at once, if
    /// one already is), and can also be cancelled on its own. Dropping it
    /// unregisters it from its parents. Tokens that can never be cancelled
    /// are skipped; an empty list gives a plain source (C# throws for an
    /// empty array). Callbacks' panics in the linked source are reported by
    /// the parent's `cancel()`, nested as one `AggregateError`. C#:
    /// `CancellationTokenSource.CreateLinkedTokenSource`.
    ///
    /// ```
    /// use tasklane::CancellationTokenSource;
    /// let app = CancellationTokenSource::new();
    /// let request = CancellationTokenSource::new();
    /// let both = CancellationTokenSource::create_linked_token_source(&[&app.token(), &request.token()]);
    /// app.cancel().unwrap();
    /// assert!(both.is_cancellation_requested());
    /// assert!(!request.is_cancellation_requested());
    /// ```
    pub fn create_linked_token_source(tokens: &[&CancellationToken]) -> CancellationTokenSource {
        let mut source = CancellationTokenSource::new();
        for token in tokens {
            if source.is_cancellation_requested() {
                break;
            }
            let Some(parent) = token.inner() else {
                continue;
            };
            match parent.register(Callback::Link(source.inner.clone())) {
                Registered::Listed(key) => source
                    .links
                    .push(CancellationTokenRegistration::listed(parent.clone(), key)),
                // A brand-new source has no callbacks yet: nothing can fail.
                Registered::Canceled(_) => drop(source.inner.notify(false)),
                Registered::Disposed(_) => {}
            }
        }
        source
    }
}
