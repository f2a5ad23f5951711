//! Every mix of lifecycle choices in one table: how the task ends (value,
//! error, panic, cancellation), what makes it (work, async work, promise),
//! who looks at it (await, wait, result, exception, when_all, a
//! continuation, nobody) and when its handles drop (before or after it
//! completes). Each row checks the final status, what the observer saw, and
//! whether the fault was reported as unobserved (exactly once, or never).

use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::Duration;
use tasklane::diag::UnobservedFault;
use tasklane::{ContinuationOptions, Task, TaskCompletionSource, TaskError, TaskStatus, block_on};

#[derive(Debug)]
struct Oops;
impl std::fmt::Display for Oops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("oops")
    }
}
impl std::error::Error for Oops {}

#[derive(Copy, Clone, Debug, PartialEq)]
enum End {
    Value,
    Error,
    Panic,
    Cancel,
}

#[derive(Copy, Clone, Debug)]
enum Maker {
    Work,
    Async,
    Promise,
}

#[derive(Copy, Clone, Debug, PartialEq)]
enum Observer {
    Await,
    Wait,
    Result,
    Exception,
    WhenAll,
    ContinueWith,
    Nobody,
}

#[derive(Copy, Clone, Debug, PartialEq)]
enum DropAt {
    BeforeCompletion,
    AfterCompletion,
}

fn reports() -> &'static Mutex<Vec<UnobservedFault>> {
    static R: OnceLock<Mutex<Vec<UnobservedFault>>> = OnceLock::new();
    R.get_or_init(|| {
        tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(|f: &UnobservedFault| {
            reports().lock().unwrap().push(f.clone());
        })));
        Mutex::new(Vec::new())
    })
}

fn count_reports(id: u64) -> usize {
    reports()
        .lock()
        .unwrap()
        .iter()
        .filter(|f| f.task_id == id)
        .count()
}

/// Makes a task that ends as `end` once `go` fires.
fn make(
    maker: Maker,
    end: End,
    go: mpsc::Receiver<()>,
) -> (Task<u32>, Option<std::thread::JoinHandle<()>>) {
    match maker {
        Maker::Work => (
            Task::try_run(move || -> Result<u32, TaskError> {
                go.recv().unwrap();
                match end {
                    End::Value => Ok(1),
                    End::Error => Err(TaskError::new(Oops)),
                    End::Panic => panic!("panicked"),
                    // A work body's cancellation for no token of its own
                    // faults (see outcomes.rs); use the async maker for
                    // canceled work. Here it cancels through a promise.
                    End::Cancel => Err(TaskError::canceled()),
                }
            }),
            None,
        ),
        Maker::Async => (
            Task::try_run_async(async move {
                go.recv().unwrap();
                tasklane::yield_now().await;
                match end {
                    End::Value => Ok(1),
                    End::Error => Err(TaskError::new(Oops)),
                    End::Panic => panic!("panicked"),
                    End::Cancel => Err(TaskError::canceled()),
                }
            }),
            None,
        ),
        Maker::Promise => {
            let tcs = TaskCompletionSource::<u32>::new();
            let task = tcs.task();
            let completer = std::thread::spawn(move || {
                go.recv().unwrap();
                match end {
                    End::Value => tcs.set_result(1).unwrap(),
                    End::Error => tcs.set_error(Oops).unwrap(),
                    // A promise cannot panic; dropping it uncompleted is its
                    // failure of that kind.
                    End::Panic => drop(tcs),
                    End::Cancel => tcs.set_canceled().unwrap(),
                }
            });
            (task, Some(completer))
        }
    }
}

fn expected_status(maker: Maker, end: End) -> TaskStatus {
    match (maker, end) {
        (_, End::Value) => TaskStatus::RanToCompletion,
        (Maker::Work, End::Cancel) => TaskStatus::Faulted,
        (_, End::Cancel) => TaskStatus::Canceled,
        _ => TaskStatus::Faulted,
    }
}

/// Observes the task; returns whether a failure was seen by the observer.
fn observe(task: &Task<u32>, observer: Observer) {
    match observer {
        Observer::Await => {
            let _ = block_on(task.clone());
        }
        Observer::Wait => {
            let _ = task.wait();
        }
        Observer::Result => {
            let _ = task.result();
        }
        Observer::Exception => {
            task.wait_timeout(Duration::from_secs(30));
            let _ = task.exception();
        }
        Observer::WhenAll => {
            let _ = Task::when_all(vec![task.clone()]).wait();
        }
        Observer::ContinueWith => {
            // A continuation that reads the failure observes it.
            let c = task.continue_with(|t| t.exception().is_some(), ContinuationOptions::NONE);
            c.wait().unwrap();
        }
        Observer::Nobody => {
            task.wait_timeout(Duration::from_secs(30));
        }
    }
}

#[test]
fn every_lifecycle_combination() {
    let _ = reports();
    let ends = [End::Value, End::Error, End::Panic, End::Cancel];
    let makers = [Maker::Work, Maker::Async, Maker::Promise];
    let observers = [
        Observer::Await,
        Observer::Wait,
        Observer::Result,
        Observer::Exception,
        Observer::WhenAll,
        Observer::ContinueWith,
        Observer::Nobody,
    ];
    let drops = [DropAt::BeforeCompletion, DropAt::AfterCompletion];
    let mut rows = 0;
    for end in ends {
        for maker in makers {
            for observer in observers {
                for drop_at in drops {
                    // Dropping before completion leaves nobody to observe.
                    if drop_at == DropAt::BeforeCompletion && observer != Observer::Nobody {
                        continue;
                    }
                    rows += 1;
                    let row = format!("{end:?} {maker:?} {observer:?} {drop_at:?}");
                    let (go_tx, go_rx) = mpsc::channel();
                    let (task, completer) = make(maker, end, go_rx);
                    let id = task.id();
                    let probe = {
                        // A second handle only to learn the outcome; it is
                        // dropped before the check and never reads failures.
                        task.clone()
                    };
                    let final_status;
                    match drop_at {
                        DropAt::BeforeCompletion => {
                            drop(task);
                            // Learn the end without observing: poll status.
                            go_tx.send(()).unwrap();
                            let deadline = std::time::Instant::now() + Duration::from_secs(30);
                            while !probe.is_completed() {
                                assert!(std::time::Instant::now() < deadline, "{row}: stuck");
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            final_status = probe.status();
                            drop(probe);
                        }
                        DropAt::AfterCompletion => {
                            go_tx.send(()).unwrap();
                            observe(&task, observer);
                            final_status = task.status();
                            drop(probe);
                            drop(task);
                        }
                    }
                    if let Some(c) = completer {
                        c.join().unwrap();
                    }
                    assert_eq!(final_status, expected_status(maker, end), "{row}");
                    let observed = observer != Observer::Nobody;
                    let want = usize::from(final_status == TaskStatus::Faulted && !observed);
                    assert_eq!(count_reports(id), want, "{row}: unobserved reports");
                }
            }
        }
    }
    assert_eq!(rows, 4 * 3 * 8);
}
