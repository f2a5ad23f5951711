//! A live view of the runtime's counters, once a second, as
//! `dotnet-counters monitor` shows a .NET process: short tasks and timers
//! every second; in every other second three tasks that block their
//! threads (the blocked and thread counts rise); near the end a faulted
//! task dropped unobserved.
//!
//! ```text
//! cargo run --example counters [SECONDS]   # default 4
//! ```

use std::time::{Duration, Instant};
use tasklane::{Runtime, Task};

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let rt = Runtime::builder()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    let _enter = rt.handle().enter();
    // Quiet about the fault this example drops on purpose.
    tasklane::diag::set_unobserved_fault_handler(Some(std::sync::Arc::new(|_| {})));
    let start = Instant::now();
    for second in 0..seconds {
        // A second of work: short tasks, timers, and (every other second)
        // tasks that block their thread.
        let until = start + Duration::from_secs(second + 1);
        let mut tasks = Vec::new();
        if second % 2 == 1 {
            // Three tasks that block their threads for most of the second:
            // the pool adds threads for them while work waits.
            for _ in 0..3 {
                tasks.push(Task::run(|| {
                    tasklane::blocking(|| std::thread::sleep(Duration::from_millis(1500)));
                }));
            }
        }
        while Instant::now() < until {
            tasks.push(Task::run(|| {
                std::hint::black_box((0..1_000u64).sum::<u64>());
            }));
            tasks.push(Task::delay(Duration::from_millis(50)));
            std::thread::sleep(Duration::from_millis(1));
            tasks.retain(|t| !t.is_completed());
        }
        if second == seconds.saturating_sub(2) {
            drop(Task::<()>::from_error("dropped without a look"));
        }
        println!("Status: running ({} s), refreshed every second", second + 1);
        println!("{}", rt.handle().counters());
        // The blocking tasks end before the program does.
        if second + 1 == seconds {
            for t in tasks {
                let _ = t.wait();
            }
        }
    }
}
