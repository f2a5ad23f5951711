//! What a host holds while it runs: its services, settings and lifetime,
//! the phase it is in, and how each service is started and stopped.

use super::error::HostError;
use super::lifetime::HostApplicationLifetime;
use super::log;
use super::options::{BackgroundServiceExceptionBehavior, HostOptions};
use super::service::{Entry, Kind};
use crate::cancel::{CancellationToken, CancellationTokenSource};
use crate::task::Task;
use std::sync::{Arc, Mutex, MutexGuard};

/// The host's shared state (the `Host` and its background-service watchers
/// hold it).
pub(super) struct Inner {
    pub(super) entries: Vec<Entry>,
    pub(super) options: HostOptions,
    pub(super) lifetime: HostApplicationLifetime,
    state: Mutex<State>,
}

/// Where the host is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Created,
    Starting,
    Started,
    Stopping,
    Stopped,
}

/// What changes as the host runs.
pub(super) struct State {
    pub(super) phase: Phase,
    /// Services started, by index, in the order they started.
    pub(super) started: Vec<usize>,
    /// Background services running: index, stopping source, `execute`'s task.
    running: Vec<(usize, Arc<CancellationTokenSource>, Task<()>)>,
    /// The background failure that stopped the host.
    pub(super) failure: Option<HostError>,
}

/// How one service is stopped: what to wait for.
pub(super) struct Stopping {
    pub(super) index: usize,
    pub(super) task: Task<()>,
    /// A hosted service's own stop (its failure is a stop failure); a
    /// background service's `execute` (its failure was already reported).
    pub(super) is_stop_call: bool,
}

impl Inner {
    pub(super) fn new(
        entries: Vec<Entry>,
        options: HostOptions,
        lifetime: HostApplicationLifetime,
    ) -> Inner {
        Inner {
            entries,
            options,
            lifetime,
            state: Mutex::new(State {
                phase: Phase::Created,
                started: Vec::new(),
                running: Vec::new(),
                failure: None,
            }),
        }
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts service `i`: the task a hosted service's start returned, or,
    /// for a background service, a completed task once `execute` is queued.
    pub(super) fn start_one(self: &Arc<Self>, i: usize) -> Task<()> {
        let entry = &self.entries[i];
        match &entry.kind {
            Kind::Hosted(s) => s.start_async(CancellationToken::none()),
            Kind::Background(s) => {
                let stopping = Arc::new(CancellationTokenSource::new());
                let task = s.start(stopping.token(), entry.location);
                self.state().running.push((i, stopping, task.clone()));
                self.watch(i, task);
                Task::completed()
            }
        }
    }

    /// Reports a background service's failure when its `execute` ends.
    fn watch(self: &Arc<Self>, i: usize, task: Task<()>) {
        let inner = self.clone();
        Task::run_async(async move {
            let Err(error) = (&task).await else { return };
            if error.is_canceled() {
                return; // ended by its token: a clean stop
            }
            let entry = &inner.entries[i];
            log::error(format_args!(
                "BackgroundService failed: {} (added at {}): {error}",
                entry.name, entry.location
            ));
            if inner.options.background_service_exception_behavior
                == BackgroundServiceExceptionBehavior::StopHost
            {
                log::error(format_args!(
                    "The HostOptions.BackgroundServiceExceptionBehavior is configured to StopHost. \
                     A BackgroundService has failed, and the host is stopping. To avoid this \
                     behavior, configure this to Ignore; however the BackgroundService will not be \
                     restarted."
                ));
                inner
                    .state()
                    .failure
                    .get_or_insert(HostError::BackgroundServiceFailed {
                        service: entry.name.clone(),
                        location: entry.location,
                        error,
                    });
                inner.lifetime.stop_application();
            }
        })
        .forget();
    }

    /// What stopping service `i` means now; `token` fires at the deadline.
    pub(super) fn stop_one(&self, i: usize, token: &CancellationToken) -> Stopping {
        match &self.entries[i].kind {
            Kind::Hosted(s) => Stopping {
                index: i,
                task: s.stop_async(token.clone()),
                is_stop_call: true,
            },
            Kind::Background(_) => {
                let run = {
                    let s = self.state();
                    s.running
                        .iter()
                        .find(|(j, _, _)| *j == i)
                        .map(|(_, cts, t)| (cts.clone(), t.clone()))
                };
                let task = match run {
                    Some((cts, t)) => {
                        if let Err(e) = cts.cancel() {
                            log::error(format_args!(
                                "a callback on the stopping token of {} failed: {e}",
                                self.entries[i].name
                            ));
                        }
                        t
                    }
                    None => Task::completed(),
                };
                Stopping {
                    index: i,
                    task,
                    is_stop_call: false,
                }
            }
        }
    }
}

impl Inner {
    /// The services started, in the order they started.
    pub(super) fn started(&self) -> Vec<usize> {
        self.state().started.clone()
    }
}
