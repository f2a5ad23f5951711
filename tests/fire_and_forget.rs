//! `fire_and_forget` (the safe `async void`) and `Task::forget`: the
//! captured context hears `operation_started`/`operation_completed`; a
//! failure reaches the context's handler, else the runtime-wide one (with
//! the spawn location), and the process goes on unless the policy says
//! abort.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::Duration;
use tasklane::context::{Dispatcher, SynchronizationContext, Work, fire_and_forget};
use tasklane::diag::{
    UnhandledError, UnhandledErrorPolicy, set_unhandled_error_handler, set_unhandled_error_policy,
    set_unobserved_fault_handler,
};
use tasklane::task::{CancelReason, CanceledError};
use tasklane::{CancellationTokenSource, Task};

const PATIENCE: Duration = Duration::from_secs(20);
/// How long to wait for something that must *not* happen.
const QUIET: Duration = Duration::from_millis(200);

/// The runtime-wide handler is process-wide: one test at a time installs
/// it.
static SERIAL: Mutex<()> = Mutex::new(());

/// Reports whose error mentions `tag`, as (message, file, line, context).
type Report = (String, String, u32, Option<String>, Option<u64>);

fn runtime_reports(tag: &'static str) -> (MutexGuard<'static, ()>, mpsc::Receiver<Report>) {
    let guard = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    set_unhandled_error_handler(Some(Arc::new(move |e: &UnhandledError| {
        if e.error.to_string().contains(tag) {
            let _ = tx.lock().unwrap().send((
                e.error.to_string(),
                e.location.file().to_owned(),
                e.location.line(),
                e.context.clone(),
                e.task_id,
            ));
        }
    })));
    (guard, rx)
}

#[test]
fn a_failure_with_no_context_reaches_the_runtime_handler_with_its_location() {
    let (_serial, reports) = runtime_reports("no-context failure");
    let line = line!() + 1;
    fire_and_forget(async { Err::<(), _>(std::io::Error::other("no-context failure")) });
    let (message, file, at, context, task) = reports.recv_timeout(PATIENCE).unwrap();
    assert_eq!(message, "no-context failure");
    assert!(file.ends_with("fire_and_forget.rs"), "{file}");
    assert_eq!(at, line);
    assert_eq!(context, None);
    assert!(task.is_some());
}

#[test]
fn a_panic_is_a_failure_too_and_the_process_goes_on() {
    let (_serial, reports) = runtime_reports("forgotten panic");
    fire_and_forget(async {
        tasklane::yield_now().await;
        let fail = true;
        if fail {
            panic!("forgotten panic");
        }
    });
    let (message, ..) = reports.recv_timeout(PATIENCE).unwrap();
    assert!(message.contains("panicked: forgotten panic"), "{message}");
    // Still alive, the pool still works.
    assert_eq!(Task::run(|| 1).result().unwrap(), 1);
}

#[test]
fn success_reports_nothing() {
    let (_serial, reports) = runtime_reports("never reported");
    let (tx, rx) = mpsc::channel();
    fire_and_forget(async move {
        tx.send(()).unwrap();
        Ok::<u8, std::io::Error>(1)
    });
    rx.recv_timeout(PATIENCE).unwrap();
    // A failing control proves the handler is live.
    fire_and_forget(async { Err::<(), _>(std::io::Error::other("never reported: control")) });
    let (message, ..) = reports.recv_timeout(PATIENCE).unwrap();
    assert!(message.ends_with("control"));
    assert!(reports.recv_timeout(QUIET).is_err());
}

#[test]
fn on_a_dispatcher_the_work_runs_there_and_its_handler_gets_the_failure() {
    let (_serial, runtime) = runtime_reports("ui failure");
    let ui = Dispatcher::start("ff-ui").unwrap();
    let ui_thread = ui.invoke(|| std::thread::current().id()).unwrap();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    ui.set_unhandled_error_handler(Some(Arc::new(move |e| {
        let on_ui = std::thread::current().id() == ui_thread;
        tx.lock()
            .unwrap()
            .send((e.error.to_string(), e.context.clone(), on_ui))
            .unwrap();
    })));
    let (ran_tx, ran_rx) = mpsc::channel();
    ui.invoke(move || {
        // Like an `async void` click handler: started on the UI thread.
        fire_and_forget(async move {
            let before = std::thread::current().id();
            Task::run(|| ()).await.unwrap();
            ran_tx.send((before, std::thread::current().id())).unwrap();
            Err::<(), _>(std::io::Error::other("ui failure"))
        });
    })
    .unwrap();
    let (before, after) = ran_rx.recv_timeout(PATIENCE).unwrap();
    assert_eq!(before, ui_thread);
    assert_eq!(after, ui_thread);
    let (message, context, on_ui) = rx.recv_timeout(PATIENCE).unwrap();
    assert_eq!(message, "ui failure");
    assert_eq!(context.as_deref(), Some("dispatcher 'ff-ui'"));
    assert!(on_ui, "the handler runs on the dispatcher thread");
    assert!(
        runtime.recv_timeout(QUIET).is_err(),
        "taken by the dispatcher"
    );
    // Balanced operation notifications.
    assert!(ui.invoke(|| ()).is_ok());
    assert!(eventually(|| ui.outstanding_operations() == 0));
    ui.shutdown();
}

#[test]
fn a_dispatcher_without_a_handler_passes_the_failure_on() {
    let (_serial, runtime) = runtime_reports("unhandled on ui");
    let ui = Dispatcher::start("ff-plain-ui").unwrap();
    ui.invoke(|| fire_and_forget(async { Err::<(), _>(std::io::Error::other("unhandled on ui")) }))
        .unwrap();
    let (_, _, _, context, _) = runtime.recv_timeout(PATIENCE).unwrap();
    assert_eq!(context.as_deref(), Some("dispatcher 'ff-plain-ui'"));
    ui.shutdown();
}

/// A context that runs posted work inline, counts operations, and takes
/// (or panics on) unhandled errors.
#[derive(Default)]
struct Counting {
    started: AtomicUsize,
    completed: AtomicUsize,
    taken: Mutex<Vec<String>>,
    panic_on_error: bool,
}

impl SynchronizationContext for Counting {
    fn post(&self, work: Work) {
        work()
    }
    fn operation_started(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }
    fn operation_completed(&self) {
        self.completed.fetch_add(1, Ordering::SeqCst);
    }
    fn unhandled_error(&self, error: UnhandledError) -> Result<(), UnhandledError> {
        if self.panic_on_error {
            panic!("the context's handler itself failed");
        }
        self.taken.lock().unwrap().push(error.error.to_string());
        Ok(())
    }
}

fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

#[test]
fn the_captured_context_hears_started_completed_and_the_failure() {
    let (_serial, runtime) = runtime_reports("context took it");
    let ctx = Arc::new(Counting::default());
    let gate = tasklane::TaskCompletionSource::<()>::new();
    {
        let _scope = <dyn SynchronizationContext>::set_current(Some(ctx.clone()));
        let g = gate.task();
        fire_and_forget(async move {
            g.await.unwrap();
            Err::<(), _>(std::io::Error::other("context took it"))
        });
    }
    assert_eq!(ctx.started.load(Ordering::SeqCst), 1);
    assert_eq!(ctx.completed.load(Ordering::SeqCst), 0, "still running");
    gate.set_result(()).unwrap();
    assert!(eventually(|| ctx.completed.load(Ordering::SeqCst) == 1));
    assert_eq!(
        *ctx.taken.lock().unwrap(),
        vec!["context took it".to_owned()]
    );
    assert!(runtime.recv_timeout(QUIET).is_err());
}

#[test]
fn a_context_whose_handler_panics_declines() {
    let (_serial, runtime) = runtime_reports("declined by panic");
    let ctx = Arc::new(Counting {
        panic_on_error: true,
        ..Counting::default()
    });
    {
        let _scope = <dyn SynchronizationContext>::set_current(Some(ctx.clone()));
        fire_and_forget(async { Err::<(), _>(std::io::Error::other("declined by panic")) });
    }
    let (message, ..) = runtime.recv_timeout(PATIENCE).unwrap();
    assert_eq!(message, "declined by panic");
    assert!(eventually(|| ctx.completed.load(Ordering::SeqCst) == 1));
}

static UNOBSERVED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn forget_routes_an_existing_tasks_failure_instead_of_leaving_it_unobserved() {
    let (_serial, runtime) = runtime_reports("forgotten task failed");
    set_unobserved_fault_handler(Some(Arc::new(|f| {
        if f.errors.to_string().contains("forgotten task failed") {
            UNOBSERVED.fetch_add(1, Ordering::SeqCst);
        }
    })));
    let line = line!() + 1;
    let t = Task::try_run(|| -> Result<u8, std::io::Error> {
        std::thread::sleep(Duration::from_millis(10));
        Err(std::io::Error::other("forgotten task failed"))
    });
    let id = t.id();
    t.forget();
    let (message, file, at, context, task) = runtime.recv_timeout(PATIENCE).unwrap();
    assert_eq!(message, "forgotten task failed");
    assert!(file.ends_with("fire_and_forget.rs"));
    assert_eq!(at, line, "the task's spawn location");
    assert_eq!(context, None);
    assert_eq!(task, Some(id));
    // Already complete when forgotten: routed at once.
    Task::<u8>::from_error(std::io::Error::other("forgotten task failed, again")).forget();
    let (message, ..) = runtime.recv_timeout(PATIENCE).unwrap();
    assert!(message.ends_with("again"));
    std::thread::sleep(QUIET);
    assert_eq!(
        UNOBSERVED.load(Ordering::SeqCst),
        0,
        "reported once, as unhandled"
    );
}

#[test]
fn forget_on_a_dispatcher_thread_routes_to_its_handler() {
    let (_serial, runtime) = runtime_reports("forgotten on ui");
    let ui = Dispatcher::start("forget-ui").unwrap();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    ui.set_unhandled_error_handler(Some(Arc::new(move |e| {
        tx.lock().unwrap().send(e.error.to_string()).unwrap();
    })));
    ui.invoke(|| Task::<()>::from_error(std::io::Error::other("forgotten on ui")).forget())
        .unwrap();
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), "forgotten on ui");
    assert!(runtime.recv_timeout(QUIET).is_err());
    ui.shutdown();
}

#[test]
fn work_cancelled_by_shutdown_is_not_reported() {
    let (_serial, runtime) = runtime_reports("operation was canceled");
    let ui = Dispatcher::start("ff-shutdown-ui").unwrap();
    let never = tasklane::TaskCompletionSource::<()>::new();
    let t = never.task();
    ui.invoke(move || {
        fire_and_forget(async move {
            t.await.unwrap();
        })
    })
    .unwrap();
    assert_eq!(ui.outstanding_operations(), 1);
    assert!(ui.shutdown_timeout(PATIENCE));
    assert!(eventually(|| ui.outstanding_operations() == 0));
    assert!(runtime.recv_timeout(QUIET).is_err());
    drop(never);
}

/// The runtime's shutdown cancels pending work (`RuntimeShutdown`): that
/// is not reported either, whether the work was started by
/// `fire_and_forget` or given `forget`.
#[test]
fn work_cancelled_by_runtime_shutdown_is_not_reported() {
    let (_serial, runtime) = runtime_reports("operation was canceled");
    let rt = tasklane::Runtime::builder()
        .worker_threads(1)
        .thread_name("ff-shutdown-rt")
        .build()
        .unwrap();
    let never = tasklane::TaskCompletionSource::<()>::new();
    let forgotten = {
        let _enter = rt.handle().enter();
        let t = never.task();
        fire_and_forget(async move {
            t.await.unwrap();
        });
        let t = never.task();
        Task::run_async(async move { t.await.unwrap() })
    };
    forgotten.clone().forget();
    drop(rt);
    // The forgotten task did end canceled by the shutdown: that is what
    // goes unreported.
    let err = forgotten.wait().unwrap_err();
    assert_eq!(
        err.first().as_canceled().map(|c| c.reason()),
        Some(CancelReason::RuntimeShutdown)
    );
    assert!(runtime.recv_timeout(QUIET).is_err());
    drop(never);
}

/// A cancellation for any other reason is reported like a fault: here the
/// work returns the cancellation its token caused.
#[test]
fn a_requested_cancellation_is_reported() {
    let (_serial, runtime) = runtime_reports("operation was canceled");
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    let line = line!() + 1;
    fire_and_forget(async move {
        token.cancelled().await;
        Err::<(), _>(CanceledError::with_token(token))
    });
    cts.cancel().unwrap();
    let (message, file, at, context, _) = runtime.recv_timeout(PATIENCE).unwrap();
    assert_eq!(message, "the operation was canceled");
    assert!(file.ends_with("fire_and_forget.rs"), "{file}");
    assert_eq!(at, line);
    assert_eq!(context, None);
}

#[test]
fn the_abort_policy_crashes_the_process_as_dotnet_does() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "abort_child", "--ignored", "--nocapture"])
        .env("TASKLANE_ABORT_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the child survived: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "SIGABRT; stderr: {stderr}");
    }
    assert!(stderr.contains("UnhandledErrorPolicy::Abort"), "{stderr}");
    assert!(stderr.contains("fatal background failure"), "{stderr}");
}

/// Run as a child process by `the_abort_policy_crashes_the_process_as_dotnet_does`.
#[test]
#[ignore = "runs only as the child process of the abort-policy test"]
fn abort_child() {
    if std::env::var_os("TASKLANE_ABORT_CHILD").is_none() {
        return;
    }
    assert_eq!(
        set_unhandled_error_policy(UnhandledErrorPolicy::Abort),
        UnhandledErrorPolicy::Continue
    );
    fire_and_forget(async { Err::<(), _>(std::io::Error::other("fatal background failure")) });
    std::thread::sleep(PATIENCE);
    // Reaching this point means the process was not aborted.
    std::process::exit(0);
}
