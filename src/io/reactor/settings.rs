//! The reactor's tunables, each with its unit, default and why.

/// Settings of the process-wide reactor.
#[derive(Clone, Debug)]
pub(crate) struct ReactorSettings {
    /// Events taken from the kernel per `epoll_wait`. Default 1024 (Tokio's
    /// value; .NET's SocketAsyncEngine takes 1024 too): large enough that a
    /// busy server drains readiness in one call, small enough to stay in
    /// cache (12 bytes per event).
    pub(crate) events_per_turn: usize,
}

impl Default for ReactorSettings {
    fn default() -> Self {
        ReactorSettings {
            events_per_turn: 1024,
        }
    }
}
