//! The joinable wait's heuristics, as named settings.

use std::sync::RwLock;
use std::time::Duration;

/// Tunables of a blocking wait on a dispatcher thread (C#: none; .NET has
/// no such wait). Each is a guess
/// sized for UI-like loops (tens of queued messages, small task graphs),
/// not a measurement; override them with [`set_joinable_wait_settings`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinableWaitSettings {
    /// A waiting thread re-examines its queue and the wait-for graph at
    /// least this often, even when nothing woke it. Every event that can
    /// complete a deadlock cycle wakes a thread of the cycle already; this
    /// is the safety net. Default 100 ms.
    pub recheck_interval: Duration,
    /// After waiting this long without running anything or completing, the
    /// wait emits one warning event naming the task and the queued work it
    /// is not allowed to run (a likely deadlock that cannot be proven).
    /// `None` turns the warning off. Default 5 s.
    pub stall_warning_after: Option<Duration>,
    /// The most tasks one "does this message belong to the awaited task's
    /// chain?" search visits before answering no. Default 4,096.
    pub max_chain_search: usize,
}

impl Default for JoinableWaitSettings {
    fn default() -> Self {
        JoinableWaitSettings {
            recheck_interval: Duration::from_millis(100),
            stall_warning_after: Some(Duration::from_secs(5)),
            max_chain_search: 4096,
        }
    }
}

static SETTINGS: RwLock<Option<JoinableWaitSettings>> = RwLock::new(None);

/// Replaces the process-wide joinable-wait settings, returning the previous
/// ones.
pub fn set_joinable_wait_settings(settings: JoinableWaitSettings) -> JoinableWaitSettings {
    let mut g = SETTINGS.write().unwrap_or_else(|p| p.into_inner());
    g.replace(settings).unwrap_or_default()
}

/// The joinable-wait settings in force.
pub fn joinable_wait_settings() -> JoinableWaitSettings {
    SETTINGS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .unwrap_or_default()
}
