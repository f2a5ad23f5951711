//! The work-stealing pool: where work is queued (LIFO slot, local ring,
//! global queue), that a task waking itself forever cannot starve queued
//! work, that idle workers steal from a busy one, and that idle workers
//! sleep instead of spinning. Deadlines are generous: the machine is shared.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread::ThreadId;
use std::time::{Duration, Instant};
use tasklane::{Runtime, Task, ThreadPool};

const DEADLINE: Duration = Duration::from_secs(20);

fn runtime(workers: usize) -> Runtime {
    Runtime::builder()
        .worker_threads(workers)
        .thread_name("sched-test")
        .build()
        .expect("runtime")
}

/// Waits until `cond` holds, failing the test after [`DEADLINE`].
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A future that wakes itself and returns Pending on every poll until
/// `stop` is set: the busiest a task can be without blocking its thread.
struct WakeSelfForever {
    stop: Arc<AtomicBool>,
    polls: Arc<AtomicUsize>,
}

impl Future for WakeSelfForever {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, SeqCst);
        if self.stop.load(SeqCst) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn spinner(rt: &Runtime) -> (Task<()>, Arc<AtomicBool>, Arc<AtomicUsize>) {
    let stop = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicUsize::new(0));
    let task = rt.run_async(WakeSelfForever {
        stop: stop.clone(),
        polls: polls.clone(),
    });
    (task, stop, polls)
}

#[test]
fn a_task_waking_itself_forever_cannot_starve_work_queued_from_outside() {
    let rt = runtime(1);
    let (spin, stop, polls) = spinner(&rt);
    wait_until("the spinner runs", || polls.load(SeqCst) > 100);
    // The only worker is busy with the spinner; these go to the global queue.
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let done = done.clone();
        drop(rt.run(move || done.fetch_add(1, SeqCst)));
    }
    wait_until("queued work ran beside the spinner", || {
        done.load(SeqCst) == 100
    });
    stop.store(true, SeqCst);
    spin.wait().unwrap();
}

#[test]
fn a_task_waking_itself_forever_cannot_starve_work_it_queued_locally() {
    let rt = runtime(1);
    let stop = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let spin = {
        let (stop, polls, done) = (stop.clone(), polls.clone(), done.clone());
        rt.run_async(async move {
            // Spawned from the worker: the LIFO slot and the local ring.
            for _ in 0..100 {
                let done = done.clone();
                drop(Task::run(move || done.fetch_add(1, SeqCst)));
            }
            WakeSelfForever { stop, polls }.await;
        })
    };
    wait_until("local work ran beside the spinner", || {
        done.load(SeqCst) == 100
    });
    assert!(polls.load(SeqCst) > 0);
    stop.store(true, SeqCst);
    spin.wait().unwrap();
}

/// Where one side of a ping-pong leaves its waker.
type WakerSlot = Arc<Mutex<Option<Waker>>>;

/// One side of a ping-pong: each poll wakes the partner's stored waker
/// and leaves its own, so the two keep each other running through the
/// LIFO slot until `stop` is set.
fn ping_pong_side(
    mine: WakerSlot,
    partner: WakerSlot,
    stop: Arc<AtomicBool>,
    rounds: Arc<AtomicUsize>,
) -> impl Future<Output = ()> + Send {
    std::future::poll_fn(move |cx| {
        if stop.load(SeqCst) {
            return Poll::Ready(());
        }
        rounds.fetch_add(1, SeqCst);
        *mine.lock().unwrap() = Some(cx.waker().clone());
        if let Some(w) = partner.lock().unwrap().take() {
            w.wake();
        }
        Poll::Pending
    })
}

#[test]
fn two_tasks_waking_each_other_cannot_starve_queued_work() {
    // Ping-pong through the LIFO slot: the LIFO budget must cut it.
    let rt = runtime(1);
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicUsize::new(0));
    let slot_a: WakerSlot = Arc::default();
    let slot_b: WakerSlot = Arc::default();
    let a = rt.run_async(ping_pong_side(
        slot_a.clone(),
        slot_b.clone(),
        stop.clone(),
        rounds.clone(),
    ));
    let b = rt.run_async(ping_pong_side(
        slot_b.clone(),
        slot_a.clone(),
        stop.clone(),
        rounds.clone(),
    ));
    wait_until("the pair runs", || rounds.load(SeqCst) > 100);
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        let done = done.clone();
        drop(rt.run(move || done.fetch_add(1, SeqCst)));
    }
    wait_until("queued work ran beside the pair", || {
        done.load(SeqCst) == 50
    });
    stop.store(true, SeqCst);
    wait_until("the pair stops", || {
        for slot in [&slot_a, &slot_b] {
            if let Some(w) = slot.lock().unwrap().take() {
                w.wake();
            }
        }
        a.is_completed() && b.is_completed()
    });
}

/// Records the order in which tasks ran.
fn recorder() -> (Arc<Mutex<Vec<&'static str>>>, impl Fn(&'static str) + Clone) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    (log, move |name| l.lock().unwrap().push(name))
}

#[test]
fn the_last_task_spawned_by_a_worker_runs_next_and_the_rest_in_order() {
    // One worker: the spawns go to its LIFO slot (the last one) and its
    // local ring (the others, FIFO).
    let rt = runtime(1);
    let (log, record) = recorder();
    let parent = rt.run_async({
        let record = record.clone();
        async move {
            for name in ["a", "b", "c", "d"] {
                let record = record.clone();
                drop(Task::run(move || record(name)));
            }
            record("parent ends");
        }
    });
    parent.wait().unwrap();
    wait_until("all ran", || log.lock().unwrap().len() == 5);
    assert_eq!(*log.lock().unwrap(), ["parent ends", "d", "a", "b", "c"]);
}

/// Runs `body` as the only task on a one-worker runtime, and queues
/// `outside` work from this thread (the global queue) while `body` holds the
/// worker; `body` continues once that work is queued. Returns the order in
/// which everything recorded itself.
fn with_work_queued_meanwhile<F, Fut>(outside: &[&'static str], body: F) -> Vec<&'static str>
where
    F: FnOnce(Arc<dyn Fn(&'static str) + Send + Sync>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let rt = runtime(1);
    let (log, record) = recorder();
    let record: Arc<dyn Fn(&'static str) + Send + Sync> = Arc::new(record);
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (queued_tx, queued_rx) = mpsc::channel::<()>();
    let body = body(record.clone());
    let task = rt.run_async(async move {
        // Hold the only worker until the outside work is queued.
        started_tx.send(()).unwrap();
        queued_rx.recv().unwrap();
        body.await;
    });
    started_rx.recv().unwrap();
    for &name in outside {
        let record = record.clone();
        drop(rt.run(move || record(name)));
    }
    queued_tx.send(()).unwrap();
    task.wait().unwrap();
    let expected = outside.len();
    // The outside work, and the body's last record.
    wait_until("all ran", || log.lock().unwrap().len() > expected);
    log.lock().unwrap().clone()
}

#[test]
fn yield_now_goes_behind_work_already_queued_globally() {
    let order = with_work_queued_meanwhile(&["outside 1", "outside 2"], |record| async move {
        record("before yield");
        tasklane::yield_now().await;
        record("after yield");
    });
    assert_eq!(
        order,
        ["before yield", "outside 1", "outside 2", "after yield"]
    );
}

#[test]
fn a_self_wake_stays_local_and_runs_before_global_work() {
    // Unlike yield_now, a task that wakes itself stays on its worker's ring,
    // which the worker serves before the global queue.
    let order = with_work_queued_meanwhile(&["outside"], |record| async move {
        let mut woke = false;
        std::future::poll_fn(|cx| {
            if woke {
                return Poll::Ready(());
            }
            woke = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        record("after self-wake");
    });
    assert_eq!(order, ["after self-wake", "outside"]);
}

#[test]
fn an_idle_worker_steals_from_a_busy_one() {
    let rt = runtime(2);
    let ran_on: Arc<Mutex<Vec<ThreadId>>> = Arc::default();
    let release = Arc::new(AtomicBool::new(false));
    let busy = rt.run_async({
        let (ran_on, release) = (ran_on.clone(), release.clone());
        async move {
            let me = std::thread::current().id();
            // Ten tasks into this worker's LIFO slot and ring...
            for _ in 0..10 {
                let ran_on = ran_on.clone();
                drop(Task::run(move || {
                    ran_on.lock().unwrap().push(std::thread::current().id())
                }));
            }
            // ...then hold this worker: only stealing can run them (all
            // but the one in the LIFO slot, which only this worker runs).
            let start = Instant::now();
            while !release.load(SeqCst) && start.elapsed() < DEADLINE {
                std::thread::sleep(Duration::from_millis(1));
            }
            me
        }
    });
    wait_until("the other worker stole nine tasks", || {
        ran_on.lock().unwrap().len() >= 9
    });
    release.store(true, SeqCst);
    let busy_thread = busy.result().unwrap();
    wait_until("all ten ran", || ran_on.lock().unwrap().len() == 10);
    let ran_on = ran_on.lock().unwrap();
    let stolen = ran_on.iter().filter(|&&t| t != busy_thread).count();
    assert!(
        stolen >= 9,
        "only {stolen} of 10 tasks ran on the idle worker"
    );
}

#[test]
fn work_from_outside_wakes_a_parked_worker_every_time() {
    let rt = runtime(2);
    for round in 0..200 {
        // Let the workers park, now and then.
        if round % 20 == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let t = rt.run(move || round * 2);
        assert!(
            t.wait_timeout(DEADLINE),
            "round {round}: a queued task was never run"
        );
        assert_eq!(t.result().unwrap(), round * 2);
    }
}

#[test]
fn pending_and_completed_counts_follow_the_queues() {
    // One thread, and no more: the supervisor would otherwise add one for
    // the blocked worker and run the queued tasks before they are counted.
    let rt = Runtime::builder()
        .worker_threads(1)
        .max_threads(1)
        .thread_name("sched-test")
        .build()
        .expect("runtime");
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (running_tx, running_rx) = mpsc::channel::<()>();
    let blocker = rt.run(move || {
        running_tx.send(()).unwrap();
        go_rx.recv().unwrap()
    });
    let _enter = rt.handle().enter();
    running_rx.recv_timeout(DEADLINE).expect("the blocker runs");
    let before = ThreadPool::completed_work_item_count();
    let queued: Vec<Task<()>> = (0..5).map(|_| rt.run(|| ())).collect();
    assert!(ThreadPool::pending_work_item_count() >= 5);
    go_tx.send(()).unwrap();
    blocker.wait().unwrap();
    for t in &queued {
        t.wait().unwrap();
    }
    wait_until("the counts catch up", || {
        ThreadPool::completed_work_item_count() >= before + 6
            && ThreadPool::pending_work_item_count() == 0
    });
}

#[cfg(target_os = "linux")]
#[test]
fn idle_workers_sleep_instead_of_spinning() {
    /// CPU time (user + system, in clock ticks) of this process's threads
    /// whose name starts with `prefix`.
    fn cpu_ticks(prefix: &str) -> u64 {
        let mut total = 0;
        for entry in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            if !comm.starts_with(prefix) {
                continue;
            }
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // Fields after the ")" that ends the thread name: utime is the
            // 12th, stime the 13th.
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let f: Vec<&str> = rest.split_whitespace().collect();
            total += f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            total += f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
        total
    }
    let rt = Runtime::builder()
        .worker_threads(2)
        .thread_name("idle-check")
        .build()
        .unwrap();
    // Some work first, so the workers have been through their loop.
    for _ in 0..100 {
        rt.run(|| ()).wait().unwrap();
    }
    std::thread::sleep(Duration::from_millis(50));
    let before = cpu_ticks("idle-check");
    std::thread::sleep(Duration::from_millis(500));
    let used = cpu_ticks("idle-check") - before;
    // Two spinning workers would use about 100 ticks (at 100 Hz) in 0.5 s.
    assert!(used <= 5, "idle workers used {used} clock ticks in 0.5 s");
}

/// With `yield_to_global_queue` (.NET's placement), yielded tasks go to the
/// global queue: many tasks yielding many times on two workers all finish,
/// and nothing is lost or run twice on the way through the global queue.
#[test]
fn yields_placed_in_the_global_queue_all_complete() {
    let rt = Runtime::builder()
        .pool_settings(tasklane::pool::PoolSettings {
            workers: 2,
            yield_to_global_queue: true,
            thread_name: "sched-test-global-yield".into(),
            ..Default::default()
        })
        .build()
        .expect("runtime");
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<Task<()>> = (0..50)
        .map(|_| {
            let polls = polls.clone();
            rt.run_async(async move {
                for _ in 0..200 {
                    polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tasklane::yield_now().await;
                }
            })
        })
        .collect();
    for t in tasks {
        assert!(t.wait_timeout(DEADLINE), "a yielding task never finished");
    }
    assert_eq!(polls.load(std::sync::atomic::Ordering::Relaxed), 50 * 200);
}
