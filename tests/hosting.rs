//! The Generic Host in-process: start order and reverse stop order, the
//! lifetime tokens, background services started without being awaited and
//! stopped by their token, a failed start, a failed background service
//! under StopHost and Ignore, a service that ignores its token abandoned at
//! the timeout, concurrent start and stop, and misuse (start twice, stop
//! twice, stop before start). Signals are covered by tests/worker_service.rs
//! (a child process).

mod common;

use common::with_deadline;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::hosting::{
    BackgroundService, BackgroundServiceExceptionBehavior, Host, HostError, HostedService,
};
use tasklane::{BoxError, CancellationToken, Task, block_on};

type Log = Arc<Mutex<Vec<String>>>;

fn log(l: &Log, s: impl Into<String>) {
    l.lock().unwrap().push(s.into());
}

/// A hosted service that logs its start and stop; its start may fail.
struct Step {
    name: &'static str,
    log: Log,
    fail_start: bool,
}

impl HostedService for Step {
    fn start_async(&self, _token: CancellationToken) -> Task<()> {
        log(&self.log, format!("start {}", self.name));
        if self.fail_start {
            Task::from_error(std::io::Error::other(format!("{} cannot start", self.name)))
        } else {
            Task::completed()
        }
    }

    fn stop_async(&self, _token: CancellationToken) -> Task<()> {
        log(&self.log, format!("stop {}", self.name));
        Task::completed()
    }
}

fn step(name: &'static str, log: &Log) -> Step {
    Step {
        name,
        log: log.clone(),
        fail_start: false,
    }
}

/// A background service that blocks its thread at first (as synchronous
/// code at the top of an `ExecuteAsync` does), then waits for its token.
struct Worker {
    log: Log,
}

impl BackgroundService for Worker {
    async fn execute(self: Arc<Self>, stopping: CancellationToken) -> Result<(), BoxError> {
        std::thread::sleep(Duration::from_millis(50));
        log(&self.log, "worker running");
        stopping.cancelled().await;
        log(&self.log, "worker saw stop");
        Ok(())
    }
}

#[test]
fn services_start_in_order_stop_in_reverse_and_the_lifetime_fires_in_between() {
    with_deadline("order", || {
        let l: Log = Arc::default();
        let builder = Host::builder();
        let lifetime = builder.lifetime();
        let _registrations: Vec<_> = [
            (lifetime.application_started(), "started"),
            (lifetime.application_stopping(), "stopping"),
            (lifetime.application_stopped(), "stopped"),
        ]
        .into_iter()
        .map(|(token, name)| {
            let l = l.clone();
            token.register(move || log(&l, name))
        })
        .collect();
        let host = builder
            .add_hosted_service(step("a", &l))
            .add_background_service(Worker { log: l.clone() })
            .add_hosted_service(step("b", &l))
            .build();
        block_on(host.start_async()).unwrap();
        assert!(
            !l.lock().unwrap().contains(&"worker saw stop".to_owned()),
            "the host did not wait for execute to finish"
        );
        common::wait_until("the worker runs", || {
            l.lock().unwrap().contains(&"worker running".to_owned())
        });
        block_on(host.stop_async()).unwrap();
        let l = l.lock().unwrap().clone();
        let pos = |s: &str| {
            l.iter()
                .position(|x| x == s)
                .unwrap_or_else(|| panic!("{s} missing: {l:?}"))
        };
        assert!(pos("start a") < pos("start b"));
        assert!(pos("start b") < pos("started"));
        assert!(pos("started") < pos("stopping"));
        assert!(pos("stopping") < pos("stop b"), "reverse order: {l:?}");
        assert!(pos("stop b") < pos("worker saw stop"));
        assert!(pos("worker saw stop") < pos("stop a"));
        assert!(pos("stop a") < pos("stopped"));
    });
}

#[test]
fn a_failed_start_stops_the_services_started_before_it_and_is_returned() {
    with_deadline("start failure", || {
        let l: Log = Arc::default();
        let host = Host::builder()
            .add_hosted_service(step("a", &l))
            .add_hosted_service(Step {
                name: "b",
                log: l.clone(),
                fail_start: true,
            })
            .add_hosted_service(step("c", &l))
            .build();
        let err = host.run().unwrap_err();
        match &err {
            HostError::StartFailed {
                service,
                error,
                location,
            } => {
                assert!(service.ends_with("Step"), "{service}");
                assert_eq!(location.file(), "tests/hosting.rs");
                assert!(error.to_string().contains("b cannot start"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(*l.lock().unwrap(), ["start a", "start b", "stop a"]);
        assert!(
            host.lifetime()
                .application_stopped()
                .is_cancellation_requested()
        );
    });
}

struct Failing;

impl BackgroundService for Failing {
    async fn execute(self: Arc<Self>, _stopping: CancellationToken) -> Result<(), BoxError> {
        tasklane::time::delay(Duration::from_millis(20)).await;
        Err("the queue is gone".into())
    }
}

#[test]
fn a_failed_background_service_stops_the_host_under_stop_host() {
    with_deadline("stop host", || {
        let l: Log = Arc::default();
        let host = Host::builder()
            .add_hosted_service(step("a", &l))
            .add_background_service(Failing)
            .build();
        let err = host.run().unwrap_err();
        match &err {
            HostError::BackgroundServiceFailed { service, error, .. } => {
                assert!(service.ends_with("Failing"), "{service}");
                assert!(error.to_string().contains("the queue is gone"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(*l.lock().unwrap(), ["start a", "stop a"]);
    });
}

#[test]
fn a_failed_background_service_is_only_logged_under_ignore() {
    with_deadline("ignore", || {
        let l: Log = Arc::default();
        let host = Arc::new(
            Host::builder()
                .add_hosted_service(step("a", &l))
                .add_background_service(Failing)
                .background_service_exception_behavior(BackgroundServiceExceptionBehavior::Ignore)
                .build(),
        );
        let h = host.clone();
        let run = Task::run(move || h.run());
        std::thread::sleep(Duration::from_millis(150));
        assert!(!run.is_completed(), "the host keeps running");
        host.lifetime().stop_application();
        run.result().unwrap().unwrap();
        assert_eq!(*l.lock().unwrap(), ["start a", "stop a"]);
    });
}

/// Never looks at its token.
struct Stubborn {
    finished: Arc<AtomicBool>,
}

impl BackgroundService for Stubborn {
    async fn execute(self: Arc<Self>, _stopping: CancellationToken) -> Result<(), BoxError> {
        tasklane::time::delay(Duration::from_secs(3)).await;
        self.finished.store(true, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_service_that_ignores_its_token_is_abandoned_at_the_timeout() {
    with_deadline("timeout", || {
        let l: Log = Arc::default();
        let finished = Arc::new(AtomicBool::new(false));
        let host = Host::builder()
            .add_hosted_service(step("a", &l))
            .add_background_service(Stubborn {
                finished: finished.clone(),
            })
            .shutdown_timeout(Duration::from_millis(300))
            .build();
        block_on(host.start_async()).unwrap();
        let t = Instant::now();
        block_on(host.stop_async()).unwrap();
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(290),
            "waited for the timeout: {took:?}"
        );
        assert!(
            took < Duration::from_secs(2),
            "did not wait for the service: {took:?}"
        );
        assert!(!finished.load(Ordering::SeqCst));
        assert_eq!(
            *l.lock().unwrap(),
            ["start a", "stop a"],
            "the next service still stopped"
        );
        assert!(
            host.lifetime()
                .application_stopped()
                .is_cancellation_requested()
        );
    });
}

#[test]
fn concurrent_start_and_stop_run_every_service() {
    with_deadline("concurrent", || {
        let l: Log = Arc::default();
        let host = Host::builder()
            .add_hosted_service(step("a", &l))
            .add_hosted_service(step("b", &l))
            .add_background_service(Worker { log: l.clone() })
            .services_start_concurrently(true)
            .services_stop_concurrently(true)
            .build();
        block_on(host.start_async()).unwrap();
        common::wait_until("the worker runs", || {
            l.lock().unwrap().contains(&"worker running".to_owned())
        });
        block_on(host.stop_async()).unwrap();
        let mut l = l.lock().unwrap().clone();
        l.sort();
        assert_eq!(
            l,
            [
                "start a",
                "start b",
                "stop a",
                "stop b",
                "worker running",
                "worker saw stop"
            ]
        );
    });
}

#[test]
fn misuse_is_harmless_or_a_typed_error() {
    with_deadline("misuse", || {
        let l: Log = Arc::default();
        let host = Host::builder().add_hosted_service(step("a", &l)).build();
        block_on(host.start_async()).unwrap();
        assert!(matches!(
            block_on(host.start_async()),
            Err(HostError::AlreadyStarted)
        ));
        block_on(host.stop_async()).unwrap();
        block_on(host.stop_async()).unwrap(); // twice: nothing more
        assert!(matches!(host.run(), Err(HostError::AlreadyStarted)));
        assert_eq!(*l.lock().unwrap(), ["start a", "stop a"]);

        // Stopped before it started: nothing runs, and it cannot start after.
        let never = Host::builder().add_hosted_service(step("b", &l)).build();
        block_on(never.stop_async()).unwrap();
        assert!(matches!(
            block_on(never.start_async()),
            Err(HostError::AlreadyStarted)
        ));
        assert_eq!(l.lock().unwrap().len(), 2);
    });
}
