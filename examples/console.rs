//! tasklane's tasks in tokio-console: the `tokio-console` feature makes
//! tasklane emit the spans `console-subscriber` reads. Run this, then
//! `tokio-console` (cargo install tokio-console) in another terminal.
//!
//! ```text
//! cargo run --features tokio-console --example console [SECONDS]   # default 60
//! ```
//!
//! The tasks: a ticker that sleeps 100 ms at a time, a task that blocks
//! its poll for 150 ms every second (the console's "long poll" lint), a
//! task that never yields, and a checkout waiting on a promise.

use std::time::{Duration, Instant};
use tasklane::{Runtime, Task, TaskCompletionSource};

fn main() {
    console_subscriber::init();
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let until = Instant::now() + Duration::from_secs(seconds);
    let rt = Runtime::builder()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    let _enter = rt.handle().enter();
    let ticker = Task::builder().name("ticker").run_async(async move {
        let mut ticks = 0u64;
        while Instant::now() < until {
            tasklane::time::delay(Duration::from_millis(100)).await;
            ticks += 1;
        }
        ticks
    });
    let long_poll = Task::builder().name("long-poll").run_async(async move {
        while Instant::now() < until {
            // CPU work inside a poll: what the console flags.
            let busy = Instant::now() + Duration::from_millis(150);
            while Instant::now() < busy {
                std::hint::spin_loop();
            }
            tasklane::time::delay(Duration::from_secs(1)).await;
        }
    });
    let never_yields = Task::builder().name("never-yields").run(move || {
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let gateway = TaskCompletionSource::<u32>::new();
    let reply = gateway.task();
    let checkout = Task::builder()
        .name("checkout")
        .run_async(async move { reply.await.unwrap_or(0) });
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
    gateway.set_result(1).expect("first completion");
    println!(
        "ticks: {}, checkout: {}",
        ticker.result().unwrap_or(0),
        checkout.result().unwrap_or(0)
    );
    let _ = long_poll.wait();
    let _ = never_yields.wait();
}
