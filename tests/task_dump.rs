//! The task dump: every live task with its name, status, home, location,
//! polls and what it waits on; async stacks; deadlock cycles (certain and
//! likely); a blocking wait that closes a cycle reported instead of
//! hanging; the dump on a signal, in a child process.

mod common;

use common::{runtime, wait_until, with_deadline};
use std::sync::Arc;
use std::time::Duration;
use tasklane::context::{DeadlockError, HeldBy};
use tasklane::diag::{DeadlockEdge, TaskKindInfo, WaitingOn};
use tasklane::sync::{Channel, WaitKind};
use tasklane::{Task, TaskCompletionSource, TaskStatus};

/// Waits until `id`'s entry in a dump of `rt` says it waits on something.
fn parked(rt: &tasklane::Runtime, id: u64) -> tasklane::diag::TaskInfo {
    let mut found = None;
    wait_until(&format!("task {id} parks"), || {
        found = rt
            .dump()
            .task(id)
            .filter(|t| t.waiting_on.is_some())
            .cloned();
        found.is_some()
    });
    found.unwrap()
}

#[test]
fn a_dump_names_each_task_and_what_it_waits_on() {
    with_deadline("dump", || {
        let rt = runtime();
        let tcs = TaskCompletionSource::<u32>::new();
        let promise = tcs.task();
        let channel = Channel::<u32>::unbounded();
        let reader = channel.reader.clone();
        let (inner, outer, on_channel, sleeper, delay_task) = rt.block_on(async {
            let inner = Task::builder()
                .name("inner")
                .run_async(async move { promise.await.unwrap() + 1 });
            let i2 = inner.clone();
            let outer = Task::builder()
                .name("outer")
                .run_async(async move { (&i2).await.unwrap() * 2 });
            let on_channel = Task::run_async(async move { reader.read_async().await.ok() });
            let sleeper = Task::run_async(async {
                tasklane::time::delay(Duration::from_secs(600)).await;
            });
            let delay_task = Task::delay(Duration::from_secs(900));
            let d2 = delay_task.clone();
            let _on_delay_task = Task::run_async(async move { d2.await.ok() });
            (inner, outer, on_channel, sleeper, delay_task)
        });
        let info = parked(&rt, outer.id());
        assert_eq!(info.name.as_deref(), Some("outer"));
        assert_eq!(info.waiting_on, Some(WaitingOn::Task(inner.id())));
        assert_eq!(info.kind, TaskKindInfo::Work);
        assert_eq!(info.status, TaskStatus::WaitingForActivation);
        assert!(info.home.as_deref().unwrap().starts_with("pool #"));
        assert!(info.location.file().ends_with("task_dump.rs"));
        assert!(info.polls >= 1);
        assert!(info.since_last_poll.is_some());
        let info = parked(&rt, inner.id());
        assert_eq!(info.waiting_on, Some(WaitingOn::Task(tcs.task().id())));
        let info = parked(&rt, on_channel.id());
        match info.waiting_on {
            Some(WaitingOn::Primitive(site)) => assert_eq!(site.kind, WaitKind::Channel),
            other => panic!("{other:?}"),
        }
        let info = parked(&rt, sleeper.id());
        match info.waiting_on {
            Some(WaitingOn::Delay { due_in }) => assert!(due_in > Duration::from_secs(500)),
            other => panic!("{other:?}"),
        }

        let dump = rt.dump();
        // The promise the inner task awaits is in the dump, with where it
        // was made.
        let promise = dump.task(tcs.task().id()).expect("the awaited promise");
        assert_eq!(promise.kind, TaskKindInfo::Promise);
        assert!(promise.location.file().ends_with("task_dump.rs"));
        assert_eq!(dump.awaiters_of(tcs.task().id()), vec![inner.id()]);
        // The text shows the async stack: the promise, its awaiter, and its
        // awaiter's awaiter below it.
        let text = dump.to_string();
        let p = text
            .find(&format!("task {} (promise)", tcs.task().id()))
            .unwrap();
        let i = text
            .find(&format!("task {} \"inner\"", inner.id()))
            .unwrap();
        let o = text
            .find(&format!("task {} \"outer\"", outer.id()))
            .unwrap();
        assert!(p < i && i < o, "{text}");
        assert!(text.contains("waits on the channel created at"), "{text}");
        assert!(text.contains("waits on a delay due in"), "{text}");
        // The JSON is well formed and says the same.
        let json: serde_json::Value = serde_json::from_str(&dump.to_json()).unwrap();
        let tasks = json["tasks"].as_array().unwrap();
        let o = tasks.iter().find(|t| t["id"] == outer.id()).unwrap();
        assert_eq!(o["name"], "outer");
        assert_eq!(o["waiting_on"]["task"], inner.id());
        assert!(dump.deadlocks.is_empty(), "{text}");
        // `Task::delay`'s task is a promise waiting on its timer.
        let d = dump.task(delay_task.id()).expect("the awaited delay task");
        match d.waiting_on {
            Some(WaitingOn::Delay { due_in }) => assert!(due_in > Duration::from_secs(800)),
            ref other => panic!("{other:?}"),
        }

        tcs.set_result(20).unwrap();
        assert_eq!(outer.result().unwrap(), 42);
        drop(channel);
        drop(on_channel);
        drop(sleeper);
        // Completed tasks leave the dump; the promise left its list.
        wait_until("the completed tasks leave the dump", || {
            let d = tasklane::diag::dump();
            d.task(outer.id()).is_none()
                && d.task(inner.id()).is_none()
                && d.task(tcs.task().id()).is_none()
        });
    });
}

#[test]
fn a_task_reading_a_socket_shows_both_addresses() {
    with_deadline("socket", || {
        let rt = runtime();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut stream = rt
            .block_on(tasklane::net::TcpStream::connect(addr))
            .unwrap();
        let reader = rt.run_async(async move {
            let mut buf = [0u8; 8];
            stream.read(&mut buf).await.map(|_| ())
        });
        let (_server_side, peer) = listener.accept().unwrap();
        let info = parked(&rt, reader.id());
        match info.waiting_on {
            Some(WaitingOn::Socket {
                write,
                local,
                peer: p,
            }) => {
                assert!(!write);
                assert_eq!(local, Some(peer));
                assert_eq!(p, Some(addr));
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn two_tasks_awaiting_each_other_are_a_certain_deadlock() {
    with_deadline("cycle", || {
        let rt = runtime();
        // a awaits b, b awaits a: each learns the other through a promise.
        let b_of_a = TaskCompletionSource::<Task<()>>::new();
        let a_of_b = TaskCompletionSource::<Task<()>>::new();
        let (a, b) = rt.block_on(async {
            let get_b = b_of_a.task();
            let a = Task::builder().name("a").run_async(async move {
                let b = get_b.await.unwrap();
                let _ = (&b).await;
            });
            let get_a = a_of_b.task();
            let b = Task::builder().name("b").run_async(async move {
                let a = get_a.await.unwrap();
                let _ = (&a).await;
            });
            (a, b)
        });
        b_of_a.set_result(b.clone()).unwrap();
        a_of_b.set_result(a.clone()).unwrap();
        let mut cycles = Vec::new();
        wait_until("the cycle is seen", || {
            cycles = tasklane::diag::find_deadlocks();
            cycles.iter().any(|d| d.task_ids().contains(&a.id()))
        });
        let d = cycles
            .iter()
            .find(|d| d.task_ids().contains(&a.id()))
            .unwrap();
        assert!(d.certain, "{d}");
        let (lo, hi) = (a.id().min(b.id()), a.id().max(b.id()));
        assert_eq!(
            d.steps,
            vec![(lo, DeadlockEdge::Awaits), (hi, DeadlockEdge::Awaits)]
        );
        assert_eq!(
            d.to_string(),
            format!("deadlock: task {lo} awaits task {hi} awaits task {lo}")
        );
        let text = rt.dump().to_string();
        assert!(
            text.contains(&format!("deadlock: task {lo} awaits task {hi}")),
            "{text}"
        );
        // Dropping the runtime cancels both; nothing hangs.
        drop(rt);
        let _ = a.wait();
        let _ = b.wait();
    });
}

#[test]
fn awaiting_a_promise_only_the_awaited_task_completes_is_a_likely_deadlock() {
    with_deadline("likely", || {
        let rt = runtime();
        let (tx, rx) = std::sync::mpsc::channel();
        let outer = rt.run_async(async move {
            // The promise is made here; only this task would complete it,
            // after the task it awaits, which awaits the promise.
            let tcs = TaskCompletionSource::<()>::new();
            let p = tcs.task();
            let inner = Task::run_async(async move { p.await.ok() });
            tx.send((tcs.task().id(), inner.id())).unwrap();
            let _ = (&inner).await;
            tcs.set_result(()).unwrap();
        });
        let (promise, inner) = rx.recv().unwrap();
        let mut found = None;
        wait_until("the likely cycle is seen", || {
            found = rt
                .dump()
                .deadlocks
                .into_iter()
                .find(|d| d.task_ids().contains(&outer.id()));
            found.is_some()
        });
        let d = found.unwrap();
        assert!(!d.certain, "{d}");
        assert_eq!(d.task_ids().len(), 3);
        assert!(d.task_ids().contains(&promise) && d.task_ids().contains(&inner));
        assert!(
            d.steps.contains(&(promise, DeadlockEdge::CompletedBy)),
            "{d}"
        );
        assert!(d.to_string().starts_with("likely deadlock: "));
    });
}

/// What a blocks on: task `a` runs `b.wait()`; task `b` is given `a`.
type Waiter = Task<Result<(), tasklane::AggregateError>>;

/// Task `a`, inside its poll, blocks in `wait()` on task `b`; `b` gets
/// `a` and runs `awaits_a` with it. Returns both.
fn a_blocks_on_b<F, Fut>(rt: &tasklane::Runtime, awaits_a: F) -> (Waiter, Task<()>)
where
    F: FnOnce(Waiter) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let a_of_b = TaskCompletionSource::<Waiter>::new();
    let get_a = a_of_b.task();
    let (b_tx, b_rx) = std::sync::mpsc::channel::<Task<()>>();
    let a = rt.run(move || {
        let b: Task<()> = b_rx.recv().unwrap();
        b.wait()
    });
    let b = rt.run_async(async move { awaits_a(get_a.await.unwrap()).await });
    a_of_b.set_result(a.clone()).unwrap();
    b_tx.send(b.clone()).unwrap();
    (a, b)
}

#[test]
fn a_blocking_wait_on_a_task_that_awaits_the_waiter_fails_instead_of_hanging() {
    with_deadline("wait cycle", || {
        let rt = runtime();
        // .NET hangs here forever: b awaits the very task blocked on it.
        let (a, b) = a_blocks_on_b(&rt, |a| async move {
            let _status = a.completion().await.status();
        });
        let err = a.result().unwrap().unwrap_err();
        let deadlock = err
            .first()
            .downcast_ref::<DeadlockError>()
            .unwrap_or_else(|| panic!("{err}"));
        assert_eq!(deadlock.task_ids(), vec![b.id()]);
        assert_eq!(
            deadlock.cycle()[0].held,
            HeldBy::AwaitsWaiter {
                through: vec![],
                waiter: a.id()
            }
        );
        assert!(
            deadlock
                .to_string()
                .contains("the very task blocked in this wait")
        );
        // The cycle broke: b saw a complete.
        b.wait().unwrap();
    });
}

#[test]
fn a_blocking_wait_that_ends_by_itself_is_no_deadlock() {
    with_deadline("no false cycle", || {
        let rt = runtime();
        // b awaits a with a timeout: it moves on by itself, and a's wait on
        // b then ends normally.
        let (a, _b) = a_blocks_on_b(&rt, |a| async move {
            let _ = tasklane::time::timeout(Duration::from_millis(300), a.completion()).await;
        });
        assert!(a.result().unwrap().is_ok());
    });
}

#[test]
fn a_runtime_dump_holds_only_its_own_tasks() {
    with_deadline("per runtime", || {
        let one = runtime();
        let two = runtime();
        let gate = Arc::new(tasklane::sync::AsyncManualResetEvent::new(false));
        let g = gate.clone();
        let t1 = one.run_async(async move { g.wait_async().await });
        let g = gate.clone();
        let t2 = two.run_async(async move { g.wait_async().await });
        parked(&one, t1.id());
        parked(&two, t2.id());
        assert!(one.dump().task(t2.id()).is_none());
        assert!(two.dump().task(t1.id()).is_none());
        let all = tasklane::diag::dump();
        assert!(all.task(t1.id()).is_some() && all.task(t2.id()).is_some());
        gate.set();
        t1.wait().unwrap();
        t2.wait().unwrap();
    });
}

#[test]
fn a_dump_of_many_tasks_lists_every_one() {
    with_deadline("many", || {
        let rt = runtime();
        let gate = Arc::new(tasklane::sync::AsyncManualResetEvent::new(false));
        let tasks: Vec<Task<()>> = (0..20_000)
            .map(|_| {
                let g = gate.clone();
                rt.run_async(async move { g.wait_async().await })
            })
            .collect();
        wait_until("all park", || {
            let d = rt.dump();
            tasks
                .iter()
                .all(|t| d.task(t.id()).is_some_and(|i| i.waiting_on.is_some()))
        });
        gate.set();
        for t in tasks {
            t.wait().unwrap();
        }
        wait_until("the dump empties", || rt.dump().tasks.is_empty());
    });
}

/// The child of `a_signal_writes_the_dump_to_stderr`: one stuck, named
/// task, the dump installed on SIGUSR1, then a wait for the parent.
#[test]
#[ignore = "run as a child process by a_signal_writes_the_dump_to_stderr"]
fn dump_on_signal_child() {
    common::child::child_only("dump_on_signal_child");
    tasklane::diag::dump_on_signal(tasklane::diag::DumpSignal::User1).unwrap();
    let tcs = TaskCompletionSource::<()>::new();
    let promise = tcs.task();
    let stuck = Task::builder()
        .name("stuck-checkout")
        .run_async(async move { promise.await.ok() });
    while tasklane::diag::dump()
        .task(stuck.id())
        .is_none_or(|t| t.waiting_on.is_none())
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("ready {}", std::process::id());
    // The parent kills this process once it has read the dump.
    std::thread::sleep(common::DEADLINE);
    drop(tcs);
}

#[test]
fn a_signal_writes_the_dump_to_stderr() {
    use std::io::{BufRead, BufReader};
    let mut child = common::child::spawn("dump_on_signal_child");
    let (pid, _stdout) = common::child::read_value(&mut child, "ready");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut dump = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let end = line == "tasklane: end of task dump";
            dump.push(line);
            if end {
                break;
            }
        }
        let _ = tx.send(dump);
    });
    let sent = std::process::Command::new("kill")
        .args(["-USR1", &pid])
        .status()
        .expect("run kill(1)");
    assert!(sent.success());
    let dump = rx.recv_timeout(common::DEADLINE);
    let _ = child.kill();
    let _ = child.wait();
    let dump = dump.expect("the child wrote a dump within the deadline");
    let text = dump.join("\n");
    assert!(text.contains("tasklane: task dump on SIGUSR1"), "{text}");
    assert!(text.contains("\"stuck-checkout\""), "{text}");
    assert!(text.contains("(promise)"), "{text}");
    assert!(text.contains("awaits task"), "{text}");
}
