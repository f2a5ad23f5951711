//! `Builder`: configure and start a runtime.

use super::{Handle, Runtime};
use crate::pool::{PoolSettings, Shared};
use std::time::Duration;

/// Configures a [`Runtime`]. Every setting has a documented default (see
/// [`PoolSettings`]). C#: the `System.Threading.ThreadPool.*` runtime
/// settings, here per runtime instead of per process.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    settings: PoolSettings,
    start_paused: bool,
}

impl Builder {
    /// A builder with default settings.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Worker threads (default: CPUs). Zero is taken as one. C#:
    /// `ThreadPool.SetMinThreads`.
    pub fn worker_threads(mut self, n: usize) -> Builder {
        self.settings.workers = n.max(1);
        self
    }

    /// Starts the runtime with its clock paused (see
    /// [`time::pause`](crate::time::pause)): for tests of timeouts, retries
    /// and schedules, which then run in microseconds. Tokio:
    /// `Builder::start_paused`.
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        self
    }

    /// The most threads the pool may have, blocked ones included (default
    /// 32,767, as .NET). C#: `ThreadPool.SetMaxThreads`.
    pub fn max_threads(mut self, n: usize) -> Builder {
        self.settings.max_threads = n;
        self
    }

    /// How long a thread above the minimum may idle before it exits
    /// (default 2 s). C#: the `System.Threading.ThreadPool.ThreadTimeoutMs`
    /// setting.
    pub fn thread_idle_timeout(mut self, timeout: Duration) -> Builder {
        self.settings.thread_idle_timeout = timeout;
        self
    }

    /// Lets the hill-climbing controller move the thread goal by measured
    /// throughput (default: off; see [`PoolSettings::hill_climbing`]). C#:
    /// the `System.Threading.ThreadPool.HillClimbing.Disable` setting,
    /// inverted.
    pub fn hill_climbing(mut self, enabled: bool) -> Builder {
        self.settings.hill_climbing = enabled;
        self
    }

    /// Name prefix of the runtime's threads.
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.settings.thread_name = name.into();
        self
    }

    /// Stack size of pool threads, in bytes.
    pub fn thread_stack_size(mut self, bytes: usize) -> Builder {
        self.settings.stack_size = bytes;
        self
    }

    /// How long dropping the runtime waits for its threads.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Builder {
        self.settings.shutdown_timeout = timeout;
        self
    }

    /// Replaces every pool setting at once.
    pub fn pool_settings(mut self, settings: PoolSettings) -> Builder {
        self.settings = settings;
        self
    }

    /// The pool settings as configured so far.
    pub fn settings(&self) -> &PoolSettings {
        &self.settings
    }

    /// Starts the runtime's threads.
    pub fn build(self) -> std::io::Result<Runtime> {
        // Blocking waits on this runtime's threads wait the runtime's way
        // (installed once, before any of its threads exists).
        super::blocking_wait::install();
        // Reports made on a runtime's threads name it (the test harness).
        crate::diag::observe::install_current_runtime(|| {
            super::context::current().map(|h| h.shared().id)
        });
        let (shared, cores) = Shared::new(self.settings);
        if self.start_paused {
            shared.clock.pause();
        }
        shared.set_driver(crate::io::reactor::Reactor::new()?);
        #[cfg(feature = "tokio-compat")]
        {
            let (bridge, thread) =
                crate::compat::tokio_bridge::TokioBridge::start(&shared.settings.thread_name)?;
            shared.set_hook(bridge, Some(thread));
        }
        shared.start(cores)?;
        Ok(Runtime {
            handle: Handle::from_shared(shared),
            shut_down: false,
        })
    }
}
