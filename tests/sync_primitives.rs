//! `SemaphoreSlim`, `AsyncMutex`, `AsyncRwLock`, the events, `CountdownEvent`,
//! `Barrier` and `Progress<T>` as .NET defines them, with every misuse a
//! typed error and no release, `set` or hand-off lost to a cancellation.

mod common;

use common::with_deadline;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tasklane::context::Dispatcher;
use tasklane::sync::{
    AsyncAutoResetEvent, AsyncManualResetEvent, AsyncMutex, AsyncRwLock, Barrier, BarrierError,
    CountdownError, CountdownEvent, IProgress, Progress, SemaphoreCountError, SemaphoreFullError,
    SemaphoreSlim, WaitKind,
};
use tasklane::{CancellationTokenSource, Task, block_on};

fn pending_once<F: Future>(f: std::pin::Pin<&mut F>) -> bool {
    f.poll(&mut Context::from_waker(Waker::noop())).is_pending()
}

#[test]
fn semaphore_counts_are_checked_and_a_release_over_max_changes_nothing() {
    assert_eq!(
        SemaphoreSlim::new(3, 2).unwrap_err(),
        SemaphoreCountError { initial: 3, max: 2 }
    );
    assert!(SemaphoreSlim::new(0, 0).is_err());
    let s = SemaphoreSlim::new(1, 2).unwrap();
    assert_eq!(s.release(), Ok(1), "the count before");
    assert_eq!(s.release(), Err(SemaphoreFullError { max: 2 }));
    assert_eq!(s.current_count(), 2);
    assert_eq!(s.release_n(5), Err(SemaphoreFullError { max: 2 }));
    assert!(s.try_wait() && s.try_wait() && !s.try_wait());
    assert_eq!(s.release_n(2), Ok(0));
}

#[test]
fn semaphore_waiters_are_served_in_fifo_order() {
    with_deadline("fifo", || {
        let s = Arc::new(SemaphoreSlim::new(0, 10).unwrap());
        let order = Arc::new(Mutex::new(Vec::new()));
        let waiters: Vec<Task<()>> = (0..5)
            .map(|i| {
                let (s, order) = (s.clone(), order.clone());
                let t = Task::run_async(async move {
                    s.wait_async().await;
                    order.lock().unwrap().push(i);
                });
                // Each parks before the next starts.
                while tasklane::diag::waiting_on(&t).is_none() {
                    std::thread::yield_now();
                }
                t
            })
            .collect();
        for _ in 0..5 {
            s.release().unwrap();
            std::thread::sleep(Duration::from_millis(5));
        }
        for w in &waiters {
            w.wait().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
        for w in &waiters {
            assert_eq!(
                tasklane::diag::waiting_on(w),
                None,
                "nothing is recorded waiting once they ran"
            );
        }
    });
}

#[test]
fn a_canceled_semaphore_waiter_never_swallows_a_release() {
    let s = SemaphoreSlim::new(0, 1).unwrap();
    {
        let mut first = pin!(s.wait_async());
        assert!(pending_once(first.as_mut()));
        // The release goes to `first`, which is then dropped unrun.
        s.release().unwrap();
    }
    assert_eq!(s.current_count(), 1, "the permit came back");
    let cts = CancellationTokenSource::new();
    cts.cancel().unwrap();
    assert!(s.try_wait());
    assert!(!block_on(s.wait_async_with_token(&cts.token())));
    assert!(!s.wait_timeout(Duration::from_millis(10)));
    s.release().unwrap();
    assert!(s.wait_timeout(Duration::from_millis(10)));
    let permit = block_on(async {
        s.release().unwrap();
        s.acquire_async().await
    });
    assert_eq!(s.current_count(), 0);
    drop(permit);
    assert_eq!(s.current_count(), 1);
}

#[test]
fn the_mutex_excludes_and_a_canceled_lock_takes_nothing() {
    with_deadline("mutex", || {
        let m = Arc::new(AsyncMutex::new(0u32));
        let tasks: Vec<Task<()>> = (0..8)
            .map(|_| {
                let m = m.clone();
                Task::run_async(async move {
                    for _ in 0..200 {
                        let mut g = m.lock_async().await;
                        let v = *g;
                        tasklane::yield_now().await;
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.wait().unwrap();
        }
        assert_eq!(*m.try_lock().unwrap(), 1600);
        let held = m.try_lock().unwrap();
        assert!(m.try_lock().is_none());
        let cts = CancellationTokenSource::with_delay(Duration::from_millis(10));
        assert!(block_on(m.lock_async_with_token(&cts.token())).is_err());
        drop(held);
        assert!(m.try_lock().is_some(), "the canceled wait left it free");
    });
}

#[test]
fn a_blocking_lock_on_a_dispatcher_whose_own_work_holds_it_is_a_deadlock_error() {
    with_deadline("lock on a dispatcher", || {
        let ui = Dispatcher::start("lock-ui").unwrap();
        let m = Arc::new(AsyncMutex::new(()));
        let gate = Arc::new(AsyncManualResetEvent::new(false));
        // A task of the UI takes the lock and awaits: it needs the UI thread
        // to go on.
        let holder = ui.spawn({
            let (m, gate) = (m.clone(), gate.clone());
            async move {
                let _g = m.lock_async().await;
                gate.wait_async().await;
            }
        });
        while m.try_lock().is_some() {
            std::thread::yield_now();
        }
        let r = ui.invoke({
            let m = m.clone();
            move || m.lock().map(drop).map_err(|e| e.to_string())
        });
        let err = r.unwrap().unwrap_err();
        assert!(
            err.contains("async mutex created at tests/sync_primitives.rs"),
            "{err}"
        );
        gate.set();
        holder.wait().unwrap();
        // Free now: a blocking lock on the UI thread just takes it.
        assert!(ui.invoke(move || m.lock().is_ok()).unwrap());
        ui.shutdown();
    });
}

#[test]
fn the_rwlock_shares_reads_and_a_waiting_writer_goes_before_later_readers() {
    with_deadline("rwlock", || {
        let l = AsyncRwLock::new(1u32);
        let r1 = l.try_read().unwrap();
        let r2 = l.try_read().unwrap();
        assert!(l.try_write().is_none());
        let mut writer = pin!(l.write_async());
        assert!(pending_once(writer.as_mut()));
        // A writer waits: new readers queue behind it.
        assert!(l.try_read().is_none());
        let mut late_reader = pin!(l.read_async());
        assert!(pending_once(late_reader.as_mut()));
        drop((r1, r2));
        let mut w = match writer
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(w) => w,
            Poll::Pending => panic!("the writer was not given the lock"),
        };
        *w = 2;
        assert!(
            pending_once(late_reader.as_mut()),
            "still behind the writer"
        );
        drop(w);
        match late_reader
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(r) => assert_eq!(*r, 2),
            Poll::Pending => panic!("the reader was not let in"),
        };
    });
}

#[test]
fn events_set_reset_and_hand_on_a_set_their_canceled_waiter_got() {
    with_deadline("events", || {
        let manual = AsyncManualResetEvent::new(false);
        let mut w = pin!(manual.wait_async());
        assert!(pending_once(w.as_mut()));
        manual.set();
        manual.reset();
        // Released by the set, it stays released.
        assert!(!pending_once(w.as_mut()));
        assert!(!manual.is_set());
        assert!(!manual.wait_timeout(Duration::from_millis(5)));

        let auto = AsyncAutoResetEvent::new(false);
        {
            let mut first = pin!(auto.wait_async());
            assert!(pending_once(first.as_mut()));
            auto.set(); // meant for `first`, which is dropped
        }
        assert!(auto.is_set(), "the set was handed on");
        block_on(auto.wait_async());
        assert!(!auto.is_set());
        auto.set();
        auto.set();
        block_on(auto.wait_async());
        let mut again = pin!(auto.wait_async());
        assert!(
            pending_once(again.as_mut()),
            "two sets with no waiter are one"
        );
    });
}

#[test]
fn countdown_misuse_is_an_error_and_zero_sets_it() {
    let c = CountdownEvent::new(2);
    assert_eq!(
        c.signal_n(3),
        Err(CountdownError::SignalBelowZero {
            signals: 3,
            remaining: 2
        })
    );
    assert_eq!(c.signal(), Ok(false));
    c.add_count(1).unwrap();
    assert_eq!(c.signal_n(2), Ok(true));
    assert!(c.is_set());
    assert_eq!(c.add_count(1), Err(CountdownError::AlreadySet));
    block_on(c.wait_async());
    c.reset(1);
    assert!(!c.is_set());
    assert!(!c.wait_timeout(Duration::from_millis(5)));
}

#[test]
fn a_barrier_reports_its_post_phase_failure_to_every_participant() {
    with_deadline("barrier", || {
        let b = Arc::new(Barrier::with_action(
            2,
            Arc::new(|b: &Barrier| {
                if b.current_phase_number() == 1 {
                    panic!("phase 1 failed");
                }
            }),
        ));
        let other = {
            let b = b.clone();
            Task::run_async(async move {
                let p0 = b.signal_and_wait_async().await;
                let p1 = b.signal_and_wait_async().await;
                (p0.is_ok(), p1.err().map(|e| e.to_string()))
            })
        };
        assert_eq!(b.signal_and_wait().unwrap(), 0);
        let mine = b.signal_and_wait();
        assert!(matches!(mine, Err(BarrierError::PostPhase(_))));
        let (first_ok, second) = other.result().unwrap();
        assert!(first_ok);
        assert!(second.unwrap().contains("phase 1 failed"));
        assert_eq!(b.current_phase_number(), 2);
        // A third participant in a two-participant phase is an error.
        let solo = Barrier::new(1);
        assert!(solo.remove_participants(2).is_err());
    });
}

#[test]
fn progress_without_a_context_reports_on_the_pool() {
    with_deadline("progress", || {
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let p = Progress::new(move |n: usize| {
            c.fetch_add(n, Ordering::SeqCst);
        });
        for _ in 0..10 {
            p.report(1);
        }
        common::wait_until("the reports ran", || count.load(Ordering::SeqCst) == 10);
    });
}

#[test]
fn a_parked_task_is_recorded_as_waiting_on_what_and_where() {
    with_deadline("waiting_on", || {
        let s = Arc::new(SemaphoreSlim::new(0, 1).unwrap());
        let s2 = s.clone();
        let t = Task::run_async(async move { s2.wait_async().await });
        common::wait_until("parked", || tasklane::diag::waiting_on(&t).is_some());
        let site = tasklane::diag::waiting_on(&t).unwrap();
        assert_eq!(site.kind, WaitKind::Semaphore);
        assert_eq!(site.location.file(), "tests/sync_primitives.rs");
        assert!(
            site.to_string()
                .starts_with("the semaphore created at tests/sync_primitives.rs:")
        );
        s.release().unwrap();
        t.wait().unwrap();
        assert!(tasklane::diag::waiting_on(&t).is_none());
    });
}
