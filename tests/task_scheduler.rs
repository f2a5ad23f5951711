//! `TaskScheduler` as .NET defines it: a scheduler written with the public
//! API alone (here, one dedicated thread), where schedulers plug in
//! (`TaskFactory`, `start_on`, `run_synchronously_on`, `continue_with_on`,
//! `current`, `default`, `from_current_synchronization_context`), the
//! cancellation of queued tasks (`try_dequeue`), and the schedulers
//! shipped (`DeterministicScheduler`, `LimitedConcurrencyScheduler`,
//! `ConcurrentExclusiveSchedulerPair`).

mod common;

use common::with_deadline;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tasklane::context::Dispatcher;
use tasklane::schedulers::{
    ConcurrentExclusiveSchedulerPair, DeterministicScheduler, LimitedConcurrencyScheduler,
    PairCompleted,
};
use tasklane::task::{PanicError, ScheduledTask, Scheduler, TaskScheduler};
use tasklane::{
    CancellationTokenSource, ContinuationOptions, InvalidOperationError, Task, TaskCreationOptions,
    TaskFactory, TaskStatus,
};

/// A scheduler that runs everything on one thread of its own, written with
/// the public API only.
struct OneThread {
    queue: mpsc::Sender<ScheduledTask>,
    thread: std::thread::ThreadId,
    allow_inline: bool,
}

impl OneThread {
    fn start(name: &str, allow_inline: bool) -> Scheduler {
        let (tx, rx) = mpsc::channel::<ScheduledTask>();
        let (id_tx, id_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                id_tx.send(std::thread::current().id()).unwrap();
                for task in rx {
                    task.execute();
                }
            })
            .unwrap();
        Scheduler::new(OneThread {
            queue: tx,
            thread: id_rx.recv().unwrap(),
            allow_inline,
        })
    }
}

impl TaskScheduler for OneThread {
    fn queue_task(&self, task: ScheduledTask) {
        self.queue.send(task).expect("the scheduler's thread runs");
    }

    fn try_execute_task_inline(&self, task: &ScheduledTask, _previously_queued: bool) -> bool {
        self.allow_inline && std::thread::current().id() == self.thread && task.execute()
    }

    fn maximum_concurrency_level(&self) -> usize {
        1
    }
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

#[test]
fn a_custom_scheduler_runs_its_tasks_and_their_awaits_on_its_thread() {
    with_deadline("custom scheduler", || {
        let s = OneThread::start("custom-1", false);
        assert_eq!(s.maximum_concurrency_level(), 1);
        let on = s.clone();
        let t = TaskFactory::new()
            .scheduler(&s)
            .start_new_async(async move {
                let before = thread_name();
                let current = <dyn TaskScheduler>::current();
                // No SynchronizationContext here: the await resumes on the task's
                // scheduler.
                tasklane::time::delay(Duration::from_millis(5)).await;
                let after = thread_name();
                // Task::run goes to the default scheduler; TaskFactory without a
                // scheduler to the current one (C#'s TaskScheduler.Current).
                let run = Task::run(thread_name).await.unwrap();
                let factory = TaskFactory::new().start_new(thread_name).await.unwrap();
                let hidden = TaskFactory::new()
                    .creation_options(TaskCreationOptions::HIDE_SCHEDULER)
                    .start_new(<dyn TaskScheduler>::current)
                    .await
                    .unwrap();
                (before, after, current == on, run, factory, hidden)
            });
        let (before, after, current_is_it, run, factory, hidden) = t.result().unwrap();
        assert_eq!(before, "custom-1");
        assert_eq!(after, "custom-1");
        assert!(current_is_it);
        assert_ne!(run, "custom-1");
        assert_eq!(factory, "custom-1");
        assert_eq!(hidden, <dyn TaskScheduler>::default());
    });
}

#[test]
fn a_scheduled_task_runs_once_however_often_it_is_executed() {
    with_deadline("execute once", || {
        let kept: Arc<Mutex<Vec<ScheduledTask>>> = Arc::default();
        struct Keep(Arc<Mutex<Vec<ScheduledTask>>>);
        impl TaskScheduler for Keep {
            fn queue_task(&self, task: ScheduledTask) {
                self.0.lock().unwrap().push(task);
            }
        }
        let s = Scheduler::new(Keep(kept.clone()));
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let t = TaskFactory::new().scheduler(&s).start_new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        let entry = kept.lock().unwrap()[0].clone();
        assert_eq!(entry.id(), t.id());
        assert_eq!(entry.status(), TaskStatus::WaitingToRun);
        assert!(entry.execute());
        assert!(!entry.execute(), "a second execute runs nothing");
        assert!(!kept.lock().unwrap()[0].execute(), "nor does a clone");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(t.status(), TaskStatus::RanToCompletion);
    });
}

#[test]
fn a_cold_task_starts_on_a_scheduler_once() {
    with_deadline("start_on", || {
        let manual = DeterministicScheduler::new();
        let t = Task::new(|| 5);
        assert_eq!(t.status(), TaskStatus::Created);
        t.start_on(manual.scheduler()).unwrap();
        assert_eq!(t.status(), TaskStatus::WaitingToRun);
        assert_eq!(
            t.start_on(manual.scheduler()),
            Err(InvalidOperationError::TaskAlreadyStarted)
        );
        assert!(manual.run_one());
        assert_eq!(t.result().unwrap(), 5);
    });
}

#[test]
fn run_synchronously_on_runs_inline_where_the_scheduler_allows_else_queues_and_waits() {
    with_deadline("run_synchronously_on", || {
        // Refuses inline: queued on its thread, and the caller waits.
        let refusing = OneThread::start("refuses-inline", false);
        let t = Task::new(thread_name);
        t.run_synchronously_on(&refusing).unwrap();
        assert_eq!(t.status(), TaskStatus::RanToCompletion);
        assert_eq!(t.result().unwrap(), "refuses-inline");
        // The pool: on the calling thread.
        let t = Task::new(thread_name);
        t.run_synchronously_on(&<dyn TaskScheduler>::default())
            .unwrap();
        assert_eq!(t.result().unwrap(), thread_name());
    });
}

#[test]
fn continuations_run_on_the_scheduler_given_and_inline_where_it_agrees() {
    with_deadline("continue_with_on", || {
        let s = OneThread::start("continuations", true);
        let gate = tasklane::TaskCompletionSource::<u32>::new();
        let c = gate.task().continue_with_on(
            |t| (t.result().unwrap(), thread_name()),
            ContinuationOptions::NONE,
            &s,
        );
        gate.set_result(1).unwrap();
        assert_eq!(c.result().unwrap(), (1, "continuations".to_owned()));

        // Inside a task of the scheduler, continue_with (no scheduler given)
        // uses the current one; completed there, the continuation is
        // offered inline (try_execute_task_inline) and runs in place.
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = order.clone();
        let t = TaskFactory::new().scheduler(&s).start_new(move || {
            let tcs = tasklane::TaskCompletionSource::<()>::new();
            let o2 = o.clone();
            let c = tcs.task().continue_with(
                move |_| o2.lock().unwrap().push("continuation"),
                ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
            );
            tcs.set_result(()).unwrap();
            o.lock().unwrap().push("after set_result");
            c
        });
        t.result().unwrap().wait().unwrap();
        assert_eq!(*order.lock().unwrap(), ["continuation", "after set_result"]);
    });
}

#[test]
fn a_queued_task_canceled_by_its_token_is_dequeued_or_ends_canceled_when_run() {
    with_deadline("cancel while queued", || {
        // The scheduler takes it back: Canceled at once.
        let manual = DeterministicScheduler::new();
        let cts = CancellationTokenSource::new();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let t = TaskFactory::new()
            .scheduler(manual.scheduler())
            .token(&cts.token())
            .start_new(move || r.store(true, Ordering::SeqCst));
        assert_eq!(manual.queued_count(), 1);
        cts.cancel().unwrap();
        assert_eq!(t.status(), TaskStatus::Canceled);
        assert_eq!(manual.queued_count(), 0, "try_dequeue took it out");

        // The scheduler keeps it: WaitingToRun until executed, then Canceled
        // without running the body.
        let kept: Arc<Mutex<Vec<ScheduledTask>>> = Arc::default();
        struct Keeps(Arc<Mutex<Vec<ScheduledTask>>>);
        impl TaskScheduler for Keeps {
            fn queue_task(&self, task: ScheduledTask) {
                self.0.lock().unwrap().push(task);
            }
        }
        let s = Scheduler::new(Keeps(kept.clone()));
        let cts = CancellationTokenSource::new();
        let r = ran.clone();
        let t = TaskFactory::new()
            .scheduler(&s)
            .token(&cts.token())
            .start_new(move || r.store(true, Ordering::SeqCst));
        cts.cancel().unwrap();
        assert_eq!(t.status(), TaskStatus::WaitingToRun);
        let entry = kept.lock().unwrap().pop().unwrap();
        entry.execute();
        assert_eq!(t.status(), TaskStatus::Canceled);
        assert!(!ran.load(Ordering::SeqCst), "no body ran");
    });
}

#[test]
fn a_panicking_queue_task_faults_the_task_instead_of_losing_it() {
    with_deadline("queue_task panics", || {
        struct Broken;
        impl TaskScheduler for Broken {
            fn queue_task(&self, _task: ScheduledTask) {
                panic!("no room");
            }
        }
        let t = TaskFactory::new()
            .scheduler(&Scheduler::new(Broken))
            .start_new(|| 1);
        let err = t.wait().unwrap_err();
        let panic = err.first().downcast_ref::<PanicError>().expect("a panic");
        assert_eq!(panic.site(), "a task scheduler's queue_task");
        assert_eq!(panic.message(), "no room");
    });
}

#[test]
fn the_deterministic_scheduler_lists_and_runs_in_queued_order() {
    with_deadline("deterministic", || {
        let manual = DeterministicScheduler::new();
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<Task<()>> = (0..5)
            .map(|i| {
                let o = order.clone();
                TaskFactory::new()
                    .scheduler(manual.scheduler())
                    .start_new(move || o.lock().unwrap().push(i))
            })
            .collect();
        let listed: Vec<u64> = manual
            .scheduler()
            .scheduled_tasks()
            .unwrap()
            .iter()
            .map(ScheduledTask::id)
            .collect();
        let ids: Vec<u64> = tasks.iter().map(Task::id).collect();
        assert_eq!(listed, ids);
        assert!(tasks.iter().all(|t| t.status() == TaskStatus::WaitingToRun));
        assert_eq!(manual.run_all(), 5);
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
        assert_eq!(<dyn TaskScheduler>::default().scheduled_tasks(), None);
    });
}

#[test]
fn from_current_synchronization_context_needs_one_and_runs_on_it() {
    with_deadline("from the current context", || {
        assert_eq!(
            <dyn TaskScheduler>::from_current_synchronization_context().unwrap_err(),
            InvalidOperationError::NoSynchronizationContext
        );
        let ui = Dispatcher::start("sched-ui").unwrap();
        let on_ui = ui
            .invoke(<dyn TaskScheduler>::from_current_synchronization_context)
            .unwrap()
            .unwrap();
        let c =
            Task::run(|| 1).continue_with_on(|_| thread_name(), ContinuationOptions::NONE, &on_ui);
        assert_eq!(c.result().unwrap(), "sched-ui");
        ui.shutdown();
    });
}

/// Counts how many run at once, and the most seen.
#[derive(Default)]
struct Concurrency {
    now: AtomicUsize,
    most: AtomicUsize,
}

impl Concurrency {
    fn run(&self, work: Duration) {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(work);
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn the_limited_scheduler_never_runs_more_than_its_limit() {
    with_deadline("limited", || {
        let limited = LimitedConcurrencyScheduler::new(2);
        assert_eq!(limited.scheduler().maximum_concurrency_level(), 2);
        let seen = Arc::new(Concurrency::default());
        let tasks: Vec<Task<()>> = (0..12)
            .map(|_| {
                let seen = seen.clone();
                TaskFactory::new()
                    .scheduler(limited.scheduler())
                    .start_new(move || seen.run(Duration::from_millis(5)))
            })
            .collect();
        for t in &tasks {
            t.wait().unwrap();
        }
        assert!(seen.most.load(Ordering::SeqCst) <= 2);
    });
}

#[test]
fn the_exclusive_side_runs_alone_and_a_completed_pair_takes_nothing_more() {
    with_deadline("concurrent/exclusive", || {
        let pair = ConcurrentExclusiveSchedulerPair::on(&<dyn TaskScheduler>::default(), 3);
        assert_eq!(pair.concurrent_scheduler().maximum_concurrency_level(), 3);
        assert_eq!(pair.exclusive_scheduler().maximum_concurrency_level(), 1);
        let readers = Arc::new(Concurrency::default());
        let writing = Arc::new(AtomicBool::new(false));
        let overlap = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for i in 0..30 {
            let (readers, writing, overlap) = (readers.clone(), writing.clone(), overlap.clone());
            tasks.push(if i % 5 == 0 {
                TaskFactory::new()
                    .scheduler(pair.exclusive_scheduler())
                    .start_new(move || {
                        if readers.now.load(Ordering::SeqCst) > 0
                            || writing.swap(true, Ordering::SeqCst)
                        {
                            overlap.store(true, Ordering::SeqCst);
                        }
                        std::thread::sleep(Duration::from_millis(2));
                        writing.store(false, Ordering::SeqCst);
                    })
            } else {
                TaskFactory::new()
                    .scheduler(pair.concurrent_scheduler())
                    .start_new(move || {
                        if writing.load(Ordering::SeqCst) {
                            overlap.store(true, Ordering::SeqCst);
                        }
                        readers.run(Duration::from_millis(2));
                    })
            });
        }
        pair.complete();
        let late = TaskFactory::new()
            .scheduler(pair.concurrent_scheduler())
            .start_new(|| ());
        let err = late.wait().unwrap_err();
        assert!(
            err.first().downcast_ref::<PairCompleted>().is_some(),
            "{err}"
        );
        pair.completion().wait().unwrap();
        for t in &tasks {
            assert_eq!(t.status(), TaskStatus::RanToCompletion);
        }
        assert!(
            !overlap.load(Ordering::SeqCst),
            "an exclusive task ran beside another"
        );
        assert!(readers.most.load(Ordering::SeqCst) <= 3);
    });
}
