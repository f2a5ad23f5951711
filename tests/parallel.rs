//! `Parallel`: every iteration once, `break_` and `stop` with .NET's
//! semantics, failures and cancellation, thread-local aggregation, the
//! partitioning of slices and iterators, `invoke`, nested loops, loops on a
//! pool worker and on a dispatcher thread, a blocking body, and
//! `for_each_async` (degree of parallelism, failure, cancellation).

mod common;

use common::with_deadline;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tasklane::parallel::{Parallel, ParallelOptions};
use tasklane::{CancellationTokenSource, InvalidOperationError, Runtime, Task};

fn counters(n: usize) -> Vec<AtomicUsize> {
    (0..n).map(|_| AtomicUsize::new(0)).collect()
}

/// A small deterministic generator for break points.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn every_iteration_runs_exactly_once_at_any_degree_of_parallelism() {
    with_deadline("once", || {
        for dop in [None, Some(1), Some(2), Some(7)] {
            let n = 100_003;
            let ran = counters(n);
            let options = ParallelOptions {
                max_degree_of_parallelism: dop,
                ..Default::default()
            };
            let r = Parallel::for_with_state(0..n, &options, |i, _| {
                ran[i].fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
            assert!(r.is_completed && r.lowest_break_iteration.is_none());
            assert!(
                ran.iter().all(|c| c.load(Ordering::Relaxed) == 1),
                "dop {dop:?}"
            );
        }
        assert!(
            Parallel::for_(5..5, |_| -> () { panic!("empty") })
                .unwrap()
                .is_completed
        );
    });
}

#[test]
fn break_runs_every_iteration_below_the_lowest_break() {
    with_deadline("break", || {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..40 {
            let n = 10_000;
            let breaks: HashSet<usize> = (0..3)
                .map(|_| (xorshift(&mut seed) % n as u64) as usize)
                .collect();
            let ran = counters(n);
            let r = Parallel::for_with_state(0..n, &ParallelOptions::default(), |i, state| {
                ran[i].fetch_add(1, Ordering::Relaxed);
                if breaks.contains(&i) {
                    state.break_().unwrap();
                }
            })
            .unwrap();
            assert!(!r.is_completed);
            let lowest = r.lowest_break_iteration.expect("a break happened");
            assert!(
                breaks.contains(&lowest),
                "{lowest} is one of the break points"
            );
            // The lowest break point ran, so every one below it that ran
            // broke too: the lowest of those that ran is the result.
            let min_ran_break = breaks
                .iter()
                .filter(|b| ran[**b].load(Ordering::Relaxed) == 1)
                .min();
            assert_eq!(Some(&lowest), min_ran_break);
            for (i, c) in ran.iter().enumerate().take(lowest) {
                assert_eq!(
                    c.load(Ordering::Relaxed),
                    1,
                    "iteration {i} below the break {lowest} ran once"
                );
            }
            assert!(ran.iter().all(|c| c.load(Ordering::Relaxed) <= 1));
        }
    });
}

#[test]
fn stop_ends_the_loop_early_and_stop_with_break_is_an_error() {
    with_deadline("stop", || {
        let n = 1_000_000;
        let ran = AtomicUsize::new(0);
        let r = Parallel::for_with_state(0..n, &ParallelOptions::default(), |i, state| {
            ran.fetch_add(1, Ordering::Relaxed);
            if i == 10 {
                state.stop().unwrap();
            }
            assert!(!state.should_exit_current_iteration() || state.is_stopped());
        })
        .unwrap();
        assert!(!r.is_completed);
        assert_eq!(r.lowest_break_iteration, None);
        assert!(ran.load(Ordering::Relaxed) < n, "stopped early");

        let second = Mutex::new(None);
        Parallel::for_with_state(
            0..100,
            &ParallelOptions::default().with_max_degree_of_parallelism(1),
            |i, state| {
                if i == 3 {
                    state.stop().unwrap();
                    *second.lock().unwrap() = Some(state.break_());
                }
            },
        )
        .unwrap();
        assert_eq!(
            second.lock().unwrap().take(),
            Some(Err(InvalidOperationError::StopAndBreak))
        );
    });
}

#[test]
fn a_panic_in_one_of_a_million_iterations_fails_the_loop_with_it() {
    with_deadline("panic", || {
        let ran = AtomicUsize::new(0);
        let err = Parallel::for_(0..1_000_000, |i| {
            ran.fetch_add(1, Ordering::Relaxed);
            if i == 765_432 {
                panic!("iteration {i} failed");
            }
        })
        .unwrap_err();
        assert_eq!(err.len(), 1, "{err}");
        assert!(
            err.first().to_string().contains("iteration 765432 failed"),
            "{err}"
        );
        assert!(ran.load(Ordering::Relaxed) >= 1);
    });
}

#[test]
fn errs_from_bodies_are_collected_and_none_is_lost() {
    with_deadline("errs", || {
        let err = Parallel::for_each(&[1, 2, 3, 4, 5, 6, 7, 8], |&v| -> Result<(), String> {
            if v % 2 == 0 {
                std::thread::sleep(Duration::from_millis(20));
                Err(format!("item {v}"))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(!err.is_empty());
        for e in err.iter() {
            assert!(e.to_string().starts_with("item "), "{e}");
        }
        // Every failing item that ran is in the error (one per failure).
        let degree = ParallelOptions::default().with_max_degree_of_parallelism(1);
        let err = Parallel::invoke_with_options(&degree, &[&|| panic!("a"), &|| {}]).unwrap_err();
        assert_eq!(
            err.len(),
            1,
            "no action starts after the first failure at one at a time"
        );
    });
}

#[test]
fn a_canceled_token_ends_the_loop_with_a_cancellation() {
    with_deadline("cancel", || {
        let cts = CancellationTokenSource::new();
        let options = ParallelOptions::default().with_cancellation_token(&cts.token());
        let ran = AtomicUsize::new(0);
        let err = Parallel::for_with_state(0..1_000_000, &options, |i, _| {
            ran.fetch_add(1, Ordering::Relaxed);
            if i == 100 {
                cts.cancel().unwrap();
            }
        })
        .unwrap_err();
        assert!(err.is_canceled(), "{err}");
        assert!(ran.load(Ordering::Relaxed) < 1_000_000);
        // Already canceled: nothing runs.
        let err =
            Parallel::for_with_state(0..10, &options, |_, _| -> () { panic!("ran") }).unwrap_err();
        assert!(err.is_canceled());
        // A degree of zero is a typed error.
        let zero = ParallelOptions::default().with_max_degree_of_parallelism(0);
        let err = Parallel::for_with_state(0..10, &zero, |_, _| {}).unwrap_err();
        assert_eq!(
            err.first().to_string(),
            InvalidOperationError::ZeroDegreeOfParallelism.to_string()
        );
    });
}

#[test]
fn thread_local_values_aggregate_without_losing_any() {
    with_deadline("local", || {
        let total = AtomicU64::new(0);
        let inits = AtomicUsize::new(0);
        let finals = AtomicUsize::new(0);
        Parallel::for_with_local(
            0..2_000_000,
            &ParallelOptions::default(),
            || {
                inits.fetch_add(1, Ordering::Relaxed);
                0u64
            },
            |i, _, sum| sum + i as u64,
            |sum| {
                finals.fetch_add(1, Ordering::Relaxed);
                total.fetch_add(sum, Ordering::Relaxed);
            },
        )
        .unwrap();
        assert_eq!(total.load(Ordering::Relaxed), 1_999_999 * 2_000_000 / 2);
        assert_eq!(
            inits.load(Ordering::Relaxed),
            finals.load(Ordering::Relaxed)
        );
        assert!(inits.load(Ordering::Relaxed) >= 1);
    });
}

#[test]
fn any_iterator_is_consumed_in_chunks_each_item_once() {
    with_deadline("iter", || {
        let seen = Mutex::new(Vec::new());
        let words = (0..5_000).map(|i| format!("w{i}"));
        Parallel::for_each_iter(words, &ParallelOptions::default(), |w, state| {
            seen.lock().unwrap().push((state.iteration(), w));
        })
        .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen.len(), 5_000);
        for (k, (i, w)) in seen.iter().enumerate() {
            assert_eq!(
                (*i, w.as_str()),
                (k, format!("w{k}").as_str()),
                "the index is the position"
            );
        }
        // Break over an iterator: every item before the break ran.
        let ran = counters(3_000);
        let r = Parallel::for_each_iter(0..3_000usize, &ParallelOptions::default(), |i, state| {
            ran[i].fetch_add(1, Ordering::Relaxed);
            if i == 1_234 {
                state.break_().unwrap();
            }
        })
        .unwrap();
        assert_eq!(r.lowest_break_iteration, Some(1_234));
        assert!(ran[..1_234].iter().all(|c| c.load(Ordering::Relaxed) == 1));
    });
}

#[test]
fn nested_loops_on_two_workers_finish_and_count_right() {
    with_deadline("nested", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let total = Arc::new(AtomicU64::new(0));
        let t = total.clone();
        rt.handle()
            .run(move || {
                let rows: Vec<usize> = (0..200).collect();
                Parallel::for_each(&rows, |&r| {
                    Parallel::for_(0..300, |c| {
                        t.fetch_add((r * c) as u64 % 7, Ordering::Relaxed);
                    })
                    .unwrap();
                })
                .unwrap();
            })
            .wait()
            .unwrap();
        let expected: u64 = (0..200u64)
            .flat_map(|r| (0..300u64).map(move |c| r * c % 7))
            .sum();
        assert_eq!(total.load(Ordering::Relaxed), expected);
    });
}

#[test]
fn a_loop_on_a_one_thread_pool_worker_runs_everything_itself() {
    with_deadline("one worker", || {
        let rt = Runtime::builder()
            .worker_threads(1)
            .max_threads(1)
            .build()
            .unwrap();
        let sum = rt
            .handle()
            .run(|| {
                let s = AtomicU64::new(0);
                Parallel::for_(0..10_000, |i| {
                    s.fetch_add(i as u64, Ordering::Relaxed);
                })
                .unwrap();
                s.into_inner()
            })
            .result()
            .unwrap();
        assert_eq!(sum, 9_999 * 10_000 / 2);
    });
}

#[test]
fn a_blocking_body_gets_more_threads_like_any_pool_work() {
    with_deadline("blocking", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        let threads = Arc::new(Mutex::new(HashSet::new()));
        let th = threads.clone();
        rt.handle()
            .run(move || {
                Parallel::for_(0..16, |_| {
                    th.lock().unwrap().insert(std::thread::current().id());
                    std::thread::sleep(Duration::from_millis(200));
                })
                .unwrap();
            })
            .wait()
            .unwrap();
        let n = threads.lock().unwrap().len();
        assert!(
            n >= 3,
            "only {n} threads ran the sleeping bodies: the pool added none"
        );
    });
}

#[test]
fn a_loop_in_a_dispatcher_handler_takes_part_and_does_not_deadlock() {
    with_deadline("dispatcher", || {
        let ui = tasklane::Dispatcher::start("parallel-ui").unwrap();
        // One at a time: the UI thread runs every iteration itself.
        let names = ui
            .invoke(|| {
                let names = Mutex::new(HashSet::new());
                let one = ParallelOptions::default().with_max_degree_of_parallelism(1);
                Parallel::for_with_state(0..100, &one, |_, _| {
                    names
                        .lock()
                        .unwrap()
                        .insert(std::thread::current().name().map(str::to_owned));
                })
                .unwrap();
                names.into_inner().unwrap()
            })
            .unwrap();
        assert_eq!(names, HashSet::from([Some("parallel-ui".to_owned())]));
        // No limit: pool workers join; the UI thread waits for them without
        // deadlock (the loop never needs the UI thread to finish).
        let n = ui
            .invoke(|| {
                let n = AtomicUsize::new(0);
                Parallel::for_(0..10_000, |_| {
                    n.fetch_add(1, Ordering::Relaxed);
                })
                .unwrap();
                n.into_inner()
            })
            .unwrap();
        assert_eq!(n, 10_000);
        ui.shutdown();
    });
}

#[test]
fn for_each_async_keeps_at_most_the_degree_in_flight() {
    with_deadline("async dop", || {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let (f, m, d) = (in_flight.clone(), most.clone(), done.clone());
        let options = ParallelOptions::default().with_max_degree_of_parallelism(16);
        Parallel::for_each_async(0..500, &options, move |_, _token| {
            let (f, m, d) = (f.clone(), m.clone(), d.clone());
            async move {
                let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tasklane::time::delay(Duration::from_millis(1)).await;
                f.fetch_sub(1, Ordering::SeqCst);
                d.fetch_add(1, Ordering::SeqCst);
            }
        })
        .wait()
        .unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 500);
        let most = most.load(Ordering::SeqCst);
        assert!((2..=16).contains(&most), "at most 16 in flight, saw {most}");
    });
}

#[test]
fn for_each_async_stops_at_the_first_failure_and_returns_every_failure() {
    with_deadline("async failure", || {
        let started = Arc::new(AtomicUsize::new(0));
        let canceled = Arc::new(AtomicBool::new(false));
        let (s, c) = (started.clone(), canceled.clone());
        let options = ParallelOptions::default().with_max_degree_of_parallelism(4);
        let err = Parallel::for_each_async(0..1_000, &options, move |i, token| {
            let (s, c) = (s.clone(), c.clone());
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                if i == 10 {
                    return Err(format!("item {i} failed"));
                }
                if Task::delay_with_token(Duration::from_millis(50), &token)
                    .await
                    .is_err()
                {
                    c.store(true, Ordering::SeqCst);
                }
                Ok(())
            }
        })
        .wait()
        .unwrap_err();
        assert_eq!(err.len(), 1, "{err}");
        assert_eq!(err.first().to_string(), "item 10 failed");
        assert!(
            started.load(Ordering::SeqCst) < 1_000,
            "no item starts after the failure"
        );
        assert!(
            canceled.load(Ordering::SeqCst),
            "the bodies in flight saw their token fire"
        );

        // The caller's token ends it canceled.
        let cts = CancellationTokenSource::new();
        let options = ParallelOptions::default().with_cancellation_token(&cts.token());
        let t = Parallel::for_each_async(0..1_000, &options, |_, token| async move {
            let _ = Task::delay_with_token(Duration::from_secs(60), &token).await;
        });
        std::thread::sleep(Duration::from_millis(20));
        cts.cancel().unwrap();
        assert!(t.wait().unwrap_err().is_canceled());
    });
}
