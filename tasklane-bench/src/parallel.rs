//! The "parallel" suite (docs/BENCHMARKS.md, workload 5): tasklane's
//! `Parallel` against rayon (and `for_each_async` against Tokio with a
//! `JoinSet` and a `Semaphore`), in the same run, iterations interleaved by
//! [`harness::compare`]. Each side runs inside its own pool of the same
//! size (`Runtime` / `rayon::ThreadPool`), called from one of its threads.
//!
//! | row | work |
//! |---|---|
//! | light 10M (local sums) | 10,000,000 iterations of a few arithmetic operations, summed with thread-local aggregation (`for_with_local`; rayon's `map().sum()`) |
//! | 10k × 50 µs | 10,000 iterations of 50 µs of spinning |
//! | unbalanced | 4,000 iterations, iteration i spinning ∝ i (about 100 ms of work in all) |
//! | nested 1000×1000 | a loop of 1,000 whose every iteration runs a loop of 1,000 light iterations |
//! | for_each_async 10k × 1 ms, DOP 64 | 10,000 items each awaiting a 1 ms delay, 64 at once (Tokio: `JoinSet` + `Semaphore(64)` + `tokio::time::sleep`) |

use crate::harness::{self, Opts, Row};
use rayon::prelude::*;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tasklane::parallel::{Parallel, ParallelOptions};

const LIGHT: usize = 10_000_000;
const SPINS: usize = 10_000;
const SPIN: Duration = Duration::from_micros(50);
const UNBALANCED: usize = 4_000;
const NESTED: usize = 1_000;
const ASYNC_ITEMS: usize = 10_000;
const ASYNC_DOP: usize = 64;

/// A light iteration: a few operations the compiler cannot fold away.
#[inline]
fn light(i: usize) -> u64 {
    let x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

fn spin(d: Duration) {
    let s = Instant::now();
    while s.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// Work ∝ `n`.
#[inline]
fn weigh(n: usize) -> u64 {
    let mut x = n as u64;
    for _ in 0..n * 8 {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    x
}

struct Pools {
    tasklane: tasklane::Runtime,
    rayon: rayon::ThreadPool,
    tokio: tokio::runtime::Runtime,
}

impl Pools {
    fn new(workers: usize) -> Pools {
        Pools {
            tasklane: tasklane::Runtime::builder()
                .worker_threads(workers)
                .thread_name("bench-tasklane")
                .build()
                .expect("tasklane runtime"),
            rayon: rayon::ThreadPoolBuilder::new()
                .num_threads(workers)
                .build()
                .expect("rayon pool"),
            tokio: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("tokio runtime"),
        }
    }

    /// Runs `f` on one of tasklane's workers.
    fn on_tasklane<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        self.tasklane
            .handle()
            .run(f)
            .into_result()
            .expect("the bench task")
    }
}

fn row(name: String, peer: &str, (tasklane, peer_cost): (f64, f64)) -> Row {
    Row {
        name,
        tasklane,
        peer: peer_cost,
        peer_name: peer.to_owned(),
        unit: "µs",
    }
}

pub fn run(opts: &Opts) -> Vec<Row> {
    let mut rows = Vec::new();
    for &w in &opts.workers {
        let pools = Pools::new(w);
        let p = &pools;

        let name = format!("light 10M (local sums) ({w}w)");
        if opts.wants(&name) {
            let expected: u64 = (0..LIGHT).map(light).fold(0, u64::wrapping_add);
            let r = harness::compare(
                opts,
                || {
                    let sum = p.on_tasklane(|| {
                        let total = AtomicU64::new(0);
                        Parallel::for_with_local(
                            0..LIGHT,
                            &ParallelOptions::default(),
                            || 0u64,
                            |i, _, s| s.wrapping_add(light(i)),
                            |s| {
                                total.fetch_add(s, Ordering::Relaxed);
                            },
                        )
                        .expect("the loop");
                        total.into_inner()
                    });
                    assert_eq!(sum, expected);
                },
                || {
                    let sum: u64 = p.rayon.install(|| {
                        (0..LIGHT)
                            .into_par_iter()
                            .map(light)
                            .reduce(|| 0, u64::wrapping_add)
                    });
                    assert_eq!(sum, expected);
                },
            );
            rows.push(row(name, "rayon", r));
        }

        let name = format!("10k × 50 µs ({w}w)");
        if opts.wants(&name) {
            let r = harness::compare(
                opts,
                || {
                    p.on_tasklane(|| {
                        Parallel::for_(0..SPINS, |_| spin(SPIN)).expect("the loop");
                    })
                },
                || {
                    p.rayon
                        .install(|| (0..SPINS).into_par_iter().for_each(|_| spin(SPIN)))
                },
            );
            rows.push(row(name, "rayon", r));
        }

        let name = format!("unbalanced i∝cost ({w}w)");
        if opts.wants(&name) {
            let r = harness::compare(
                opts,
                || {
                    p.on_tasklane(|| {
                        Parallel::for_(0..UNBALANCED, |i| {
                            black_box(weigh(i));
                        })
                        .expect("the loop");
                    })
                },
                || {
                    p.rayon.install(|| {
                        (0..UNBALANCED).into_par_iter().for_each(|i| {
                            black_box(weigh(i));
                        })
                    })
                },
            );
            rows.push(row(name, "rayon", r));
        }

        let name = format!("nested 1000×1000 ({w}w)");
        if opts.wants(&name) {
            let r = harness::compare(
                opts,
                || {
                    p.on_tasklane(|| {
                        Parallel::for_(0..NESTED, |i| {
                            Parallel::for_(0..NESTED, |j| {
                                black_box(light(i * NESTED + j));
                            })
                            .expect("the inner loop");
                        })
                        .expect("the outer loop");
                    })
                },
                || {
                    p.rayon.install(|| {
                        (0..NESTED).into_par_iter().for_each(|i| {
                            (0..NESTED).into_par_iter().for_each(|j| {
                                black_box(light(i * NESTED + j));
                            })
                        })
                    })
                },
            );
            rows.push(row(name, "rayon", r));
        }

        let name = format!("for_each_async 10k × 1 ms, DOP 64 ({w}w)");
        if opts.wants(&name) {
            let r = harness::compare(
                opts,
                || {
                    let options =
                        ParallelOptions::default().with_max_degree_of_parallelism(ASYNC_DOP);
                    let _enter = p.tasklane.handle().enter();
                    Parallel::for_each_async(0..ASYNC_ITEMS, &options, |_, _| async {
                        tasklane::time::delay(Duration::from_millis(1)).await;
                    })
                    .wait()
                    .expect("the loop");
                },
                || {
                    p.tokio.block_on(async {
                        let gate = Arc::new(tokio::sync::Semaphore::new(ASYNC_DOP));
                        let mut set = tokio::task::JoinSet::new();
                        for _ in 0..ASYNC_ITEMS {
                            let permit = gate.clone().acquire_owned().await.expect("open");
                            set.spawn(async move {
                                tokio::time::sleep(Duration::from_millis(1)).await;
                                drop(permit);
                            });
                        }
                        while set.join_next().await.is_some() {}
                    })
                },
            );
            rows.push(row(name, "tokio JoinSet+Semaphore", r));
        }
    }
    rows
}
