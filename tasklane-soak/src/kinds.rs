//! The kinds of work the soak mixes, each spawned as a task whose final
//! state (and how often its body ran) goes to the batch's ledger.

use crate::ledger::Ledger;
use crate::sockets::Echo;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tasklane::{
    CanceledError, CancellationTokenSource, ContinuationOptions, Dispatcher, Task,
    TaskCompletionSource, TaskStatus,
};

/// Every kind, in the order task `i` cycles through them (`i % KINDS.len()`).
pub const KINDS: &[Kind] = &[
    Kind::Completed,
    Kind::Faulted,
    Kind::CanceledBeforeStart,
    Kind::CanceledWhileRunning,
    Kind::Promise,
    Kind::BrokenPromise,
    Kind::Delayed,
    Kind::Continued,
    Kind::WhenAll,
    Kind::WhenAny,
    Kind::DispatcherPosted,
    Kind::FireAndForget,
    Kind::LoopbackSocket,
];

/// One kind of work.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Completed,
    Faulted,
    CanceledBeforeStart,
    CanceledWhileRunning,
    Promise,
    BrokenPromise,
    Delayed,
    Continued,
    WhenAll,
    WhenAny,
    DispatcherPosted,
    FireAndForget,
    LoopbackSocket,
}

/// The error a faulting soak task ends with: which task it was.
#[derive(Debug)]
pub struct SoakError(pub usize);

impl fmt::Display for SoakError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "soak task {} failed on purpose", self.0)
    }
}

impl std::error::Error for SoakError {}

/// What the kinds run on besides the runtime.
pub struct World {
    pub ui: Dispatcher,
    pub echo: Arc<Echo>,
}

/// Records task `i`'s final state in the ledger when it completes (a
/// continuation, as .NET's `ContinueWith`), observing a fault so nothing is
/// reported unobserved.
pub fn track<T: Send + Sync + 'static>(
    ledger: &Arc<Ledger>,
    i: usize,
    task: &Task<T>,
    expected: TaskStatus,
) {
    let ledger = ledger.clone();
    drop(task.continue_with(
        move |t| {
            if t.is_faulted() {
                drop(t.exception());
            }
            ledger.ended(i, t.status(), expected);
        },
        ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
    ));
}

/// Starts task `i` of `kind`, on the runtime the calling thread entered.
pub fn spawn(world: &World, ledger: &Arc<Ledger>, i: usize, kind: Kind) {
    let l = ledger.clone();
    match kind {
        Kind::Completed => {
            ledger.expect_body(i, 1);
            let t = Task::run(move || {
                l.body(i);
                i
            });
            track(ledger, i, &t, TaskStatus::RanToCompletion);
        }
        Kind::Faulted => {
            ledger.expect_body(i, 1);
            let t = Task::try_run(move || -> Result<usize, SoakError> {
                l.body(i);
                Err(SoakError(i))
            });
            track(ledger, i, &t, TaskStatus::Faulted);
        }
        Kind::CanceledBeforeStart => {
            let cts = CancellationTokenSource::new();
            cts.cancel().unwrap();
            let t = Task::run_with_token(move || l.body(i), &cts.token());
            track(ledger, i, &t, TaskStatus::Canceled);
        }
        Kind::CanceledWhileRunning => {
            ledger.expect_body(i, 1);
            let cts = Arc::new(CancellationTokenSource::new());
            let token = cts.token();
            let t = Task::try_run_async(async move {
                l.body(i);
                token.cancelled().await;
                token.throw_if_cancellation_requested()?;
                Ok::<usize, CanceledError>(i)
            });
            track(ledger, i, &t, TaskStatus::Canceled);
            drop(Task::run(move || cts.cancel().unwrap()));
        }
        Kind::Promise => {
            ledger.expect_body(i, 1);
            let tcs = TaskCompletionSource::<usize>::new();
            track(ledger, i, &tcs.task(), TaskStatus::RanToCompletion);
            drop(Task::run(move || {
                l.body(i);
                tcs.set_result(i).unwrap();
            }));
        }
        Kind::BrokenPromise => {
            let tcs = TaskCompletionSource::<usize>::new();
            track(ledger, i, &tcs.task(), TaskStatus::Faulted);
            drop(Task::run(move || drop(tcs)));
        }
        Kind::Delayed => {
            let t = Task::delay(Duration::from_micros((i % 2000) as u64));
            track(ledger, i, &t, TaskStatus::RanToCompletion);
        }
        Kind::Continued => {
            // The continuation's body must run exactly once, after its
            // antecedent.
            ledger.expect_body(i, 1);
            let first = Task::run(move || i);
            let then = first.continue_with(
                move |ante| {
                    assert!(
                        ante.is_completed(),
                        "a continuation runs after its antecedent"
                    );
                    l.body(i);
                    ante.result().unwrap() + 1
                },
                ContinuationOptions::NONE,
            );
            track(ledger, i, &then, TaskStatus::RanToCompletion);
        }
        Kind::WhenAll => {
            ledger.expect_body(i, 3);
            let parts: Vec<Task<usize>> = (0..3)
                .map(|k| {
                    let l = l.clone();
                    Task::run(move || {
                        l.body(i);
                        k
                    })
                })
                .collect();
            let all = Task::when_all(parts);
            track(ledger, i, &all, TaskStatus::RanToCompletion);
        }
        Kind::WhenAny => {
            ledger.expect_body(i, 1);
            let fast = Task::run(move || {
                l.body(i);
                i
            });
            let slow = Task::delay(Duration::from_millis(1))
                .continue_with(|_| 0, ContinuationOptions::NONE);
            let any = Task::when_any(vec![fast, slow]);
            track(ledger, i, &any, TaskStatus::RanToCompletion);
        }
        Kind::DispatcherPosted => {
            ledger.expect_body(i, 1);
            let t = world.ui.spawn(async move {
                l.body(i);
                tasklane::yield_now().await;
                i
            });
            track(ledger, i, &t, TaskStatus::RanToCompletion);
        }
        Kind::FireAndForget => {
            // No task handle: success is recorded by the work itself, a
            // failure by the unhandled-error handler (main.rs).
            ledger.expect_body(i, 1);
            tasklane::fire_and_forget(async move {
                l.body(i);
                tasklane::yield_now().await;
                if i.is_multiple_of(2) {
                    l.ended(i, TaskStatus::RanToCompletion, TaskStatus::RanToCompletion);
                    Ok(())
                } else {
                    Err(SoakError(i))
                }
            });
        }
        Kind::LoopbackSocket => {
            ledger.expect_body(i, 1);
            let t = world.echo.round_trip(i as u64, move || l.body(i));
            track(ledger, i, &t, TaskStatus::RanToCompletion);
        }
    }
}
