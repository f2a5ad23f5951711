//! `examples/worker_service` as a child process, driven the way its users
//! drive it: jobs over HTTP (reqwest), then SIGTERM. Every accepted job is
//! processed exactly once and the exit code is 0; a failing background
//! service exits nonzero; a service that ignores its token is abandoned at
//! the shutdown timeout; a second SIGTERM ends shutdown at once; and the
//! PostgreSQL queue (a real throwaway server) drains the same way.
//!
//! `cargo test` builds the example before running this file; run alone,
//! build it first: `cargo build --example worker_service --features hyper`.

#[path = "common/postgres.rs"]
mod postgres;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most a child may take to start listening, or to exit when it should.
const LIMIT: Duration = Duration::from_secs(60);

struct Service {
    child: Child,
    addr: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

fn example() -> std::path::PathBuf {
    // target/<profile>/deps/worker_service-<hash> → target/<profile>/examples/
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let path = dir.join("examples").join("worker_service");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it; run alone, build it first with \
         `cargo build --example worker_service --features hyper`",
        path.display()
    );
    path
}

impl Service {
    fn start(args: &[&str]) -> Service {
        let mut child = Command::new(example())
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the example");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (out, lines) = (child.stdout.take().unwrap(), stdout.clone());
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(l);
            }
        });
        let (mut err, text) = (child.stderr.take().unwrap(), stderr.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                text.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let started = Instant::now();
        let addr = loop {
            if let Some(a) = stdout
                .lock()
                .unwrap()
                .iter()
                .find_map(|l| l.strip_prefix("listening on ").map(str::to_owned))
            {
                break a;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the example exited ({status}): {}", stderr.lock().unwrap());
            }
            assert!(
                started.elapsed() < LIMIT,
                "the example did not start listening"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        Service {
            child,
            addr,
            stdout,
            stderr,
        }
    }

    fn signal(&self) {
        // SAFETY: kill(2) on our own child's pid, with a valid signal.
        let r = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(r, 0, "kill -TERM");
    }

    fn wait(&mut self) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait for the example") {
                // Let the reader threads take the last output.
                std::thread::sleep(Duration::from_millis(50));
                return s;
            }
            if started.elapsed() > LIMIT {
                let _ = self.child.kill();
                panic!("the example did not exit: {}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// How many times each job was processed.
    fn processed(&self) -> BTreeMap<u64, usize> {
        let mut m = BTreeMap::new();
        for l in self.stdout.lock().unwrap().iter() {
            if let Some(rest) = l.strip_prefix("processed job ") {
                let id: u64 = rest.split(' ').next().unwrap().parse().unwrap();
                *m.entry(id).or_insert(0) += 1;
            }
        }
        m
    }

    /// Posts job `id`: Some(status) if a response came, None if the request
    /// failed (refused, reset).
    fn post(&self, client: &reqwest::Client, id: u64) -> Option<u16> {
        let url = format!("http://{}/jobs?id={id}", self.addr);
        tasklane::block_on(async {
            client
                .post(url)
                .send()
                .await
                .ok()
                .map(|r| r.status().as_u16())
        })
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a reqwest client")
}

#[test]
fn sigterm_drains_every_accepted_job_exactly_once_and_exits_zero() {
    let mut s = Service::start(&["--workers", "3", "--job-ms", "10", "--capacity", "8"]);
    let c = client();
    let mut accepted = BTreeSet::new();
    for id in 0..60 {
        assert_eq!(s.post(&c, id), Some(202), "job {id}");
        accepted.insert(id);
    }
    // More jobs while the service shuts down: each is accepted (and must
    // be processed), refused with 503, or not answered.
    let addr_service = Arc::new(Mutex::new((BTreeSet::new(), BTreeSet::new())));
    let outcomes = addr_service.clone();
    let url = format!("http://{}", s.addr);
    let sender = std::thread::spawn(move || {
        let c = client();
        for id in 1000..1400u64 {
            let r = tasklane::block_on(async {
                c.post(format!("{url}/jobs?id={id}"))
                    .send()
                    .await
                    .ok()
                    .map(|r| r.status().as_u16())
            });
            let mut o = outcomes.lock().unwrap();
            match r {
                Some(202) => {
                    o.0.insert(id);
                }
                Some(503) => break,
                Some(other) => panic!("job {id}: status {other}"),
                None => {
                    o.1.insert(id);
                    break;
                }
            }
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    s.signal();
    let status = s.wait();
    sender.join().unwrap();
    let (late_accepted, unknown) = addr_service.lock().unwrap().clone();
    accepted.extend(late_accepted);
    assert!(status.success(), "exit status {status}: {}", s.stderr());
    let processed = s.processed();
    for id in &accepted {
        assert_eq!(
            processed.get(id),
            Some(&1),
            "accepted job {id} processed once"
        );
    }
    for (id, n) in &processed {
        assert_eq!(*n, 1, "job {id} processed {n} times");
        assert!(
            accepted.contains(id) || unknown.contains(id),
            "job {id} was never accepted"
        );
    }
    let err = s.stderr();
    for line in [
        "info: Application started. Press Ctrl+C to shut down.",
        "info: Application is shutting down...",
    ] {
        assert!(err.contains(line), "log line {line:?} missing:\n{err}");
    }
}

#[test]
fn a_failing_background_service_stops_the_host_with_a_nonzero_exit() {
    let mut s = Service::start(&["--workers", "1", "--job-ms", "1", "--fail-after", "3"]);
    let c = client();
    for id in 0..5 {
        // After the failure the host stops: later jobs may be refused.
        let _ = s.post(&c, id);
    }
    let status = s.wait();
    assert!(!status.success(), "a failed service exits nonzero");
    let err = s.stderr();
    assert!(
        err.contains("fail: BackgroundService failed: worker_service::worker::Worker"),
        "{err}"
    );
    assert!(err.contains("worker 0 failed after 3 jobs"), "{err}");
    assert!(err.contains("configured to StopHost"), "{err}");
}

#[test]
fn a_service_that_ignores_its_token_is_abandoned_at_the_shutdown_timeout() {
    let mut s = Service::start(&["--workers", "1", "--hang", "--shutdown-timeout-ms", "500"]);
    assert_eq!(s.post(&client(), 1), Some(202));
    std::thread::sleep(Duration::from_millis(50));
    let signalled = Instant::now();
    s.signal();
    let status = s.wait();
    let took = signalled.elapsed();
    assert!(status.success(), "{status}: {}", s.stderr());
    assert!(
        took >= Duration::from_millis(450),
        "waited for the timeout: {took:?}"
    );
    let err = s.stderr();
    assert!(
        err.contains("warn: The service worker_service::worker::Worker (added at examples/worker_service/main.rs:"),
        "{err}"
    );
    assert!(
        err.contains("did not stop within the shutdown timeout"),
        "{err}"
    );
}

#[test]
fn a_second_sigterm_during_shutdown_ends_it_at_once() {
    let mut s = Service::start(&["--workers", "1", "--hang", "--shutdown-timeout-ms", "60000"]);
    assert_eq!(s.post(&client(), 1), Some(202));
    std::thread::sleep(Duration::from_millis(50));
    s.signal();
    std::thread::sleep(Duration::from_millis(300));
    let second = Instant::now();
    s.signal();
    let status = s.wait();
    assert!(
        second.elapsed() < Duration::from_secs(20),
        "not the 60 s timeout"
    );
    assert!(status.success(), "{status}");
    assert!(
        s.stderr().contains("A second shutdown signal arrived"),
        "{}",
        s.stderr()
    );
}

#[test]
fn the_postgres_queue_drains_every_accepted_job_exactly_once() {
    let pg = postgres::Postgres::start();
    let config = pg.config();
    let mut s = Service::start(&["--workers", "3", "--job-ms", "5", "--postgres", &config]);
    let c = client();
    for id in 0..40 {
        assert_eq!(s.post(&c, id), Some(202), "job {id}");
    }
    assert_eq!(s.post(&c, 7), Some(409), "a job id twice is a conflict");
    s.signal();
    let status = s.wait();
    assert!(status.success(), "{status}: {}", s.stderr());
    let processed = s.processed();
    assert_eq!(processed.len(), 40, "{processed:?}");
    assert!(processed.values().all(|n| *n == 1), "{processed:?}");
    // The table agrees: every row done, once.
    let rows = tasklane::block_on(async {
        let (client, conn) = tokio_postgres::connect(&config, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tasklane::Task::run_async(async move {
            let _ = conn.await;
        })
        .forget();
        client
            .query("SELECT state, processed_count FROM jobs", &[])
            .await
            .expect("query")
    });
    assert_eq!(rows.len(), 40);
    for r in rows {
        assert_eq!(r.get::<_, String>(0), "done");
        assert_eq!(r.get::<_, i32>(1), 1);
    }
}
