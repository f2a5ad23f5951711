//! The reactor's tunables, each with its unit, default and why.

/// Settings of a runtime's reactor (each runtime has its own; the
/// process's default runtime's reactor also serves process-wide sources
/// such as the signal pipe).
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
