//! A worker service on the Generic Host: .NET's "queued background tasks"
//! shape. An HTTP front end (hyper on tasklane) takes jobs
//! (`POST /jobs?id=N` → 202 Accepted, 503 once shutting down) into a
//! bounded `Channel`; N `BackgroundService` workers process them;
//! `GET /stats` says how many were accepted and processed (counted through
//! `Progress<T>`). On Ctrl-C or SIGTERM the host stops the front end first
//! (no new jobs; the channel completes), then the workers, which drain
//! every accepted job within the shutdown timeout; the process exits 0.
//!
//! With `--postgres CONFIG` the queue is a PostgreSQL table instead: the
//! front end inserts a row per job, and workers claim them with
//! `SELECT … FOR UPDATE SKIP LOCKED` (the job queue many teams run on the
//! database they already have); the same drain on shutdown.
//!
//! ```text
//! cargo run --example worker_service --features hyper -- [--addr 127.0.0.1:8080]
//!     [--workers 4] [--job-ms 10] [--capacity 64] [--shutdown-timeout-ms 30000]
//!     [--postgres "host=127.0.0.1 port=5432 user=postgres dbname=postgres"]
//!     [--fail-after K]   # worker 0 fails after K jobs: the host stops, exit code 1
//!     [--hang]           # worker 0 never finishes its first job: abandoned at the timeout
//! curl -X POST 'http://127.0.0.1:8080/jobs?id=1'; curl http://127.0.0.1:8080/stats
//! ```
//!
//! Each processed job prints `processed job ID by worker W` on stdout; the
//! host's log lines go to stderr.
//!
//! C#: a Worker Service (`dotnet new worker`) with the "queued background
//! tasks" sample's `IBackgroundTaskQueue` (a bounded `Channel`) and
//! `QueuedHostedService`, behind a minimal API.

mod front_end;
mod queue;
mod worker;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tasklane::hosting::Host;

/// The command line.
#[derive(Clone, Debug)]
pub struct Args {
    pub addr: String,
    pub workers: usize,
    pub job: Duration,
    pub capacity: usize,
    pub shutdown_timeout: Duration,
    pub postgres: Option<String>,
    pub fail_after: Option<u64>,
    pub hang: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:8080".into(),
        workers: 4,
        job: Duration::from_millis(10),
        capacity: 64,
        shutdown_timeout: Duration::from_secs(30),
        postgres: None,
        fail_after: None,
        hang: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--addr" => a.addr = value()?,
            "--workers" => a.workers = number(value()?)?.max(1) as usize,
            "--job-ms" => a.job = Duration::from_millis(number(value()?)?),
            "--capacity" => a.capacity = number(value()?)?.max(1) as usize,
            "--shutdown-timeout-ms" => {
                a.shutdown_timeout = Duration::from_millis(number(value()?)?)
            }
            "--postgres" => a.postgres = Some(value()?),
            "--fail-after" => a.fail_after = Some(number(value()?)?),
            "--hang" => a.hang = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("worker_service: {e}");
            return ExitCode::from(2);
        }
    };
    let stats = Arc::new(queue::Stats::default());
    let queue = match queue::Queue::new(&args) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("worker_service: cannot open the queue: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut builder = Host::builder().shutdown_timeout(args.shutdown_timeout);
    // Workers first, the front end last: stopping goes in reverse, so the
    // front end stops taking jobs before the workers are asked to stop.
    for id in 0..args.workers {
        builder = builder.add_background_service(worker::Worker::new(id, &args, &queue, &stats));
    }
    let host = builder
        .add_hosted_service(front_end::FrontEnd::new(
            &args,
            queue.clone(),
            stats.clone(),
        ))
        .build();
    let outcome = host.run();
    println!(
        "exit: accepted {} jobs, processed {}",
        stats.accepted(),
        stats.processed()
    );
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("worker_service: {e}");
            ExitCode::FAILURE
        }
    }
}
