//! A program that is stuck, and three ways to see why: `Runtime::dump()`
//! (async stacks, innermost first, with the deadlocks marked),
//! `TaskDump::to_json()`, and `diag::dump_on_signal`, which writes the
//! dump to stderr when the process gets SIGUSR1 — here the program sends
//! it to itself; on a real hang, `kill -USR1 <pid>` from a shell.
//!
//! ```text
//! cargo run --example task_dump
//! ```

use std::time::Duration;
use tasklane::diag::{self, DumpSignal};
use tasklane::{Runtime, Task, TaskCompletionSource};

fn main() -> std::io::Result<()> {
    let rt = Runtime::builder().worker_threads(2).build()?;
    let _enter = rt.handle().enter();
    diag::dump_on_signal(DumpSignal::User1)?;

    // A request handler stuck reading from a client that sends nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let handler = Task::builder().name("read-request").run_async(async move {
        let mut stream = tasklane::net::TcpStream::connect(addr).await?;
        let mut buf = [0u8; 64];
        stream.read(&mut buf).await
    });
    let (_silent_client, _) = listener.accept()?;

    // A job waiting on a promise made by the task that awaits the job: a
    // likely deadlock (only that task would complete the promise).
    let outer = Task::builder().name("batch").run_async(async {
        let done = TaskCompletionSource::<()>::new();
        let signal = done.task();
        let job = Task::builder()
            .name("job")
            .run_async(async move { signal.await.is_ok() });
        let finished = (&job).await.unwrap_or(false);
        done.try_set_result(());
        finished
    });

    // Let every task park, then look.
    let ids = [handler.id(), outer.id()];
    while ids
        .iter()
        .any(|&id| rt.dump().task(id).is_none_or(|t| t.waiting_on.is_none()))
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(100));

    println!("== Runtime::dump() ==");
    print!("{}", rt.dump());
    println!();
    println!("== diag::find_deadlocks() ==");
    for cycle in diag::find_deadlocks() {
        println!("{cycle} (certain: {})", cycle.certain);
    }
    println!();
    println!("== TaskDump::to_json() ==");
    println!("{}", rt.dump().to_json());
    println!();
    let pid = std::process::id().to_string();
    println!("== kill -USR1 {pid}: the dump on stderr ==");
    std::process::Command::new("kill")
        .args(["-USR1", &pid])
        .status()?;
    // The dump comes from a thread of its own.
    std::thread::sleep(Duration::from_millis(300));
    Ok(())
}
