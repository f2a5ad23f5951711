//! What `#[tasklane::test]` runs: each test on a runtime of its own,
//! failing — with what went wrong and a task dump — when something the
//! test did not look at went wrong behind it:
//!
//! - a task faulted and its last handle dropped unobserved;
//! - fire-and-forget work (or a callback the runtime called) failed with no
//!   one to take the error;
//! - a `TaskCompletionSource` was dropped without completing its task;
//! - tasks it started are still alive when it ends (unless
//!   `allow_pending`): a test that passes while work it started still runs
//!   proves nothing about that work.
//!
//! Reports count when they are made on a thread of the test's runtime: its
//! workers, and the test's own thread while it runs the body. C#: none —
//! xUnit and NUnit let an `async void` failure or an unobserved task
//! fault pass; that is what this harness refuses.
//!
//! ```
//! #[tasklane::test(worker_threads = 2)]
//! async fn adds() {
//!     assert_eq!(tasklane::Task::run(|| 2).await.unwrap(), 2);
//! }
//! # fn main() {}
//! ```

use crate::Runtime;
use crate::diag::observe::{self, Observed, Observer};
use std::fmt::Write;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a test's tasks get, after its body returns, to finish before
/// they count as left running: a task the body awaited may still be
/// running its completion on a worker for a moment.
pub const LEFTOVER_GRACE: Duration = Duration::from_secs(1);

/// The options of one test. Made by `#[tasklane::test(..)]`.
#[derive(Clone, Debug)]
pub struct TestOptions {
    name: &'static str,
    worker_threads: usize,
    start_paused: bool,
    allow_pending: bool,
}

impl TestOptions {
    /// A test named `name`, on 2 workers, real time, no task may be left.
    pub fn new(name: &'static str) -> TestOptions {
        TestOptions {
            name,
            worker_threads: 2,
            start_paused: false,
            allow_pending: false,
        }
    }

    /// The runtime's worker threads (`worker_threads = N`).
    pub fn worker_threads(mut self, n: usize) -> TestOptions {
        self.worker_threads = n;
        self
    }

    /// The runtime's clock starts paused (`start_paused = true`): see
    /// [`time::pause`](crate::time::pause).
    pub fn start_paused(mut self, paused: bool) -> TestOptions {
        self.start_paused = paused;
        self
    }

    /// Tasks still alive at the end do not fail the test
    /// (`allow_pending`).
    pub fn allow_pending(mut self, allow: bool) -> TestOptions {
        self.allow_pending = allow;
        self
    }
}

#[derive(Default)]
struct Collected(Mutex<Vec<Observed>>);

impl Observer for Collected {
    fn observe(&self, what: Observed) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(what);
    }
}

/// Runs `body` as one test (see the module docs); returns its output, or
/// panics with what went wrong.
pub fn run_test<F: Future>(options: TestOptions, body: F) -> F::Output {
    let rt = Runtime::builder()
        .worker_threads(options.worker_threads)
        .start_paused(options.start_paused)
        .build()
        .unwrap_or_else(|e| panic!("{}: could not start its runtime: {e}", options.name));
    let collected = Arc::new(Collected::default());
    let watching = observe::watch(rt.handle().shared().id, collected.clone());
    let output = match catch_unwind(AssertUnwindSafe(|| rt.block_on(body))) {
        Ok(output) => output,
        Err(panic) => {
            drop(rt);
            drop(watching);
            resume_unwind(panic)
        }
    };
    let leftover = if options.allow_pending {
        None
    } else {
        let until = Instant::now() + LEFTOVER_GRACE;
        loop {
            let dump = rt.dump();
            if dump.tasks.is_empty() {
                break None;
            }
            if Instant::now() >= until {
                break Some(dump);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    drop(rt);
    drop(watching);
    let seen = std::mem::take(&mut *collected.0.lock().unwrap_or_else(|p| p.into_inner()));
    if seen.is_empty() && leftover.is_none() {
        return output;
    }
    let mut message = format!("{}: passed its assertions, but:\n", options.name);
    for what in &seen {
        let _ = writeln!(message, "- {what}");
    }
    if let Some(dump) = leftover {
        let _ = writeln!(
            message,
            "- {} task(s) it started were still alive {} ms after it ended (await them, or #[tasklane::test(allow_pending)]):\n{dump}",
            dump.tasks.len(),
            LEFTOVER_GRACE.as_millis()
        );
    }
    panic!("{message}");
}
