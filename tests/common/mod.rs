//! Helpers the integration tests share: a private runtime, leak checks, a
//! watchdog so no test can hang, waits with a deadline.
#![allow(dead_code)]

pub mod child;
pub mod thread_context;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tasklane::Runtime;
use tasklane::diag::UnobservedFault;

/// Generous: the machine is shared and noisy.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// A private 2-worker runtime.
pub fn runtime() -> Runtime {
    Runtime::builder()
        .worker_threads(2)
        .build()
        .expect("runtime")
}

/// Runs `f` on a thread and fails the test if it takes longer than
/// `DEADLINE` (instead of hanging the test binary).
pub fn with_deadline<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let v = f();
        let _ = tx.send(());
        v
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(()) => handle.join().expect("test body panicked"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: did not finish within {DEADLINE:?}")
        }
    }
}

/// Waits until `cond` holds or the deadline passes; true if it held.
pub fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Waits until `cond` holds, failing the test after [`DEADLINE`].
pub fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    assert!(eventually(cond), "timed out waiting until {what}");
}

/// Fails unless the runtime's tasks and the process's fds come back to
/// where they were (other tests in this binary run in parallel and open
/// fds too, so fds are checked with a margin of what they may hold).
pub fn assert_no_leaks(rt: &Runtime, fds_before: usize, what: &str) {
    let h = rt.handle().clone();
    assert!(
        eventually(|| h.live_task_count() == 0),
        "{what}: {} tasks still live",
        h.live_task_count()
    );
    assert!(
        eventually(|| open_fds() <= fds_before),
        "{what}: fds {} > {} before",
        open_fds(),
        fds_before
    );
}

/// Starts the process's default runtime (its reactor's epoll fd, epoll
/// clone and eventfd stay open for the process's lifetime) before a leak
/// baseline is taken: another test in the binary may start it at any time.
pub fn start_default_runtime() {
    drop(tasklane::net::UdpSocket::bind("127.0.0.1:0").expect("bind"));
}

static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Tests that count fds run one at a time within a test binary.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// The frame of a leak-checked network test: within the deadline and one
/// at a time, a private runtime runs the future `body` makes; afterwards
/// the runtime's tasks and the process's fds must be back where they were.
pub fn leak_checked<F, Fut>(name: &'static str, body: F)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    with_deadline(name, move || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        // After the runtime: its epoll fd, epoll clone and eventfd are its own.
        let fds = open_fds();
        rt.block_on(body());
        assert_no_leaks(&rt, fds, name);
    });
}

/// Every unobserved-fault report in this test binary, from the first call
/// on (the first call installs the process-wide handler). Tests run in
/// parallel, so each reads only its own tasks' reports, by id.
pub fn reports() -> &'static Mutex<Vec<UnobservedFault>> {
    static R: OnceLock<Mutex<Vec<UnobservedFault>>> = OnceLock::new();
    R.get_or_init(|| {
        tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(|f: &UnobservedFault| {
            reports().lock().unwrap().push(f.clone());
        })));
        Mutex::new(Vec::new())
    })
}

/// The unobserved-fault reports of task `id` so far.
pub fn reports_for(id: u64) -> Vec<UnobservedFault> {
    reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|f| f.task_id == id)
        .cloned()
        .collect()
}
