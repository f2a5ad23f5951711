//! The HTTP/1 hello-world rows (docs/BENCHMARKS.md, workload 4): hyper on tasklane
//! against hyper on tokio, the same server code on each (accept loop, one
//! task per connection, `http1::Builder` with the runtime's `Timer` and a
//! header-read timeout), driven by `wrk` for a fixed duration and
//! connection count. Cost = 1 / throughput (nanoseconds per request); the
//! second row is wrk's p99 latency. Both servers run in this process, each
//! on its own runtime with the same worker count; wrk runs alternate
//! between them, so machine noise hits both alike.
//!
//! wrk is an external program: Debian's `apt-get install -y wrk`. Without
//! it the rows are skipped with that hint, never a failure.

use crate::harness::{Opts, Row};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll};
use std::time::Duration;

/// wrk threads (`-t`).
const WRK_THREADS: usize = 2;
/// Open connections (`-c`).
const WRK_CONNECTIONS: usize = 64;
/// Seconds per measured wrk run (`-d`). Short runs, many of them: a run's
/// throughput depends mostly on how its threads and the server's happen to
/// share the cores, which holds for the whole run, so the ratios of single
/// pairs spread as widely at 1 s as at 5 s (a standard deviation of their
/// logarithm of 0.099 over 300 pairs of 1 s runs, 0.092 over 215 of 5 s).
/// Five 1 s pairs cost what one 5 s pair did and give a median about twice
/// as steady.
const WRK_SECONDS: u64 = 1;
/// Seconds per warm-up wrk run.
const WARMUP_SECONDS: u64 = 2;
/// Alternating pairs of measured runs per timed iteration of the suite
/// (`--iters`, at most 5 here, times this).
const PAIRS_PER_ITER: usize = 5;
/// The servers' header-read timeout: never reached under wrk, but it makes
/// hyper arm (and disarm) a timer around every request head, as a server
/// in production does.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What one wrk run measured.
#[derive(Clone, Copy, Debug)]
struct WrkRun {
    requests_per_sec: f64,
    p99_us: f64,
}

/// The rows for `workers` workers, or none (with a hint on stderr) when
/// wrk is missing.
pub fn rows(opts: &Opts, workers: usize) -> Vec<Row> {
    let name = format!("http1_hello wrk c{WRK_CONNECTIONS} ({workers} workers)");
    let p99_name = format!("http1_hello p99 latency ({workers} workers)");
    if !opts.wants(&name) && !opts.wants(&p99_name) {
        return Vec::new();
    }
    if !wrk_installed() {
        eprintln!(
            "skipping {name}: the load generator `wrk` is not installed \
             (Debian/Ubuntu: `apt-get install -y wrk`; or build it from https://github.com/wg/wrk)"
        );
        return Vec::new();
    }
    let tl = TasklaneServer::start(workers);
    let tk = TokioServer::start(workers);
    for _ in 0..opts.warmup.min(1) {
        wrk(tl.addr, WARMUP_SECONDS);
        wrk(tk.addr, WARMUP_SECONDS);
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 1..=opts.iters.max(1) * PAIRS_PER_ITER {
        let tl_run = ("tasklane", tl.addr, &mut a);
        let tk_run = ("tokio", tk.addr, &mut b);
        // Which server goes first alternates (A B, B A, …), so a change in
        // the machine's load within a pair favours neither.
        let pair = if i % 2 == 1 {
            [tl_run, tk_run]
        } else {
            [tk_run, tl_run]
        };
        for (server, addr, runs) in pair {
            let run = wrk(addr, WRK_SECONDS);
            // Each run on stderr, so a run's spread (and a profile taken
            // beside it) can be read against the medians.
            eprintln!(
                "{name}: run {i} {server}: {:.0} requests/s, p99 {:.0} µs",
                run.requests_per_sec, run.p99_us
            );
            runs.push(run);
        }
    }
    tl.stop();
    tk.stop();
    let rps = |v: &[WrkRun]| median(v.iter().map(|r| r.requests_per_sec).collect());
    let p99 = |v: &[WrkRun]| median(v.iter().map(|r| r.p99_us).collect());
    vec![
        Row {
            name,
            tasklane: 1e9 / rps(&a),
            peer: 1e9 / rps(&b),
            peer_name: "tokio".into(),
            unit: "ns",
        },
        Row {
            name: p99_name,
            tasklane: p99(&a),
            peer: p99(&b),
            peer_name: "tokio".into(),
            unit: "µs",
        },
    ]
}

/// `tasklane-bench http-serve <tasklane|tokio> <workers> <port>`: one of
/// the two servers alone, on `127.0.0.1:<port>`, until the process is
/// killed: for profiling one runtime (`perf stat -p`, `perf record`) under
/// a load generator of one's own. Returns an error message on bad
/// arguments.
pub fn serve(args: &[String]) -> Result<(), String> {
    let [runtime, workers, port] = args else {
        return Err("expected: http-serve <tasklane|tokio> <workers> <port>".into());
    };
    let workers: usize = workers
        .parse()
        .map_err(|_| format!("workers: not a number: {workers:?}"))?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("port: not a number: {port:?}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Held until the process is killed: dropping a server stops it.
    let (bound, _server): (SocketAddr, Box<dyn std::any::Any>) = match runtime.as_str() {
        "tasklane" => {
            let s = TasklaneServer::start_on(workers, addr);
            (s.addr, Box::new(s))
        }
        "tokio" => {
            let s = TokioServer::start_on(workers, addr);
            (s.addr, Box::new(s))
        }
        other => return Err(format!("runtime: {other:?} (tasklane or tokio)")),
    };
    eprintln!("{runtime} ({workers} workers) serving http://{bound}/ until killed");
    // The server lives on its own runtime's threads; this thread only waits.
    loop {
        std::thread::park();
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn wrk_installed() -> bool {
    // `wrk -v` prints its version (and exits 1); only a failed spawn
    // means it is missing.
    Command::new("wrk").arg("-v").output().is_ok()
}

/// Runs wrk against `addr` for `seconds`; its throughput and p99 latency.
fn wrk(addr: SocketAddr, seconds: u64) -> WrkRun {
    let out = Command::new("wrk")
        .args([
            &format!("-t{WRK_THREADS}"),
            &format!("-c{WRK_CONNECTIONS}"),
            &format!("-d{seconds}s"),
            "--latency",
            &format!("http://{addr}/"),
        ])
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text).unwrap_or_else(|| panic!("unexpected wrk output:\n{text}"))
}

/// Reads `Requests/sec:` and the `99%` line of `--latency` output; warns
/// about errors wrk reports.
fn parse_wrk(text: &str) -> Option<WrkRun> {
    let mut rps = None;
    let mut p99 = None;
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            rps = v.trim().parse::<f64>().ok();
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = duration_us(v.trim());
        } else if line.starts_with("Socket errors") || line.starts_with("Non-2xx") {
            eprintln!("wrk: {line}");
        }
    }
    Some(WrkRun {
        requests_per_sec: rps?,
        p99_us: p99?,
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.00s`.
fn duration_us(s: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60e6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * scale)
}

async fn hello<B>(_: hyper::Request<B>) -> Result<hyper::Response<Full>, Infallible> {
    Ok(hyper::Response::new(Full(Some(Bytes::from_static(
        b"Hello, World!",
    )))))
}

/// A body of one chunk (http-body-util's `Full`).
struct Full(Option<Bytes>);

impl Body for Full {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.get_mut().0.take().map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

/// hyper on tasklane, serving until stopped.
struct TasklaneServer {
    addr: SocketAddr,
    stop: tasklane::CancellationTokenSource,
    server: tasklane::Task<()>,
    _rt: tasklane::Runtime,
}

impl TasklaneServer {
    fn start(workers: usize) -> TasklaneServer {
        Self::start_on(workers, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    fn start_on(workers: usize, addr: SocketAddr) -> TasklaneServer {
        use tasklane::Task;
        use tasklane::net::TcpListener;
        use tasklane::net::hyper_rt::Timer;
        let rt = tasklane::Runtime::builder()
            .worker_threads(workers)
            .build()
            .expect("tasklane runtime");
        let _enter = rt.handle().enter();
        let listener = TcpListener::bind(addr).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = tasklane::CancellationTokenSource::new();
        let token = stop.token();
        let server = rt.run_async(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(Timer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            while let Ok((stream, _)) = listener.accept_with_token(&token).await {
                stream.set_nodelay(true).expect("nodelay");
                let conn = builder.serve_connection(stream, service_fn(hello));
                drop(Task::run_async(async move {
                    let _ = conn.await;
                }));
            }
        });
        drop(_enter);
        TasklaneServer {
            addr,
            stop,
            server,
            _rt: rt,
        }
    }

    fn stop(self) {
        self.stop.cancel().expect("cancel");
        self.server.wait().expect("server");
    }
}

/// hyper on tokio, the same code.
struct TokioServer {
    addr: SocketAddr,
    stop: tokio_util::sync::CancellationToken,
    server: tokio::task::JoinHandle<()>,
    rt: tokio::runtime::Runtime,
}

impl TokioServer {
    fn start(workers: usize) -> TokioServer {
        Self::start_on(workers, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    fn start_on(workers: usize, addr: SocketAddr) -> TokioServer {
        use hyper_util::rt::{TokioIo, TokioTimer};
        use tokio::net::TcpListener;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let listener = rt.block_on(TcpListener::bind(addr)).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = tokio_util::sync::CancellationToken::new();
        let token = stop.clone();
        let server = rt.spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            while let Some(Ok((stream, _))) = token.run_until_cancelled(listener.accept()).await {
                stream.set_nodelay(true).expect("nodelay");
                let conn = builder.serve_connection(TokioIo::new(stream), service_fn(hello));
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        TokioServer {
            addr,
            stop,
            server,
            rt,
        }
    }

    fn stop(self) {
        self.stop.cancel();
        self.rt.block_on(self.server).expect("server");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wrk_output() {
        let text = "Running 5s test @ http://127.0.0.1:1/\n  2 threads and 64 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency   480.12us  301.00us   9.99ms   91.00%\n  Latency Distribution\n     50%  420.00us\n     75%  520.00us\n     90%  700.00us\n     99%    1.50ms\n  600000 requests in 5.00s, 50.00MB read\nRequests/sec: 120000.50\nTransfer/sec:     10.00MB\n";
        let r = parse_wrk(text).unwrap();
        assert_eq!(r.requests_per_sec, 120000.5);
        assert_eq!(r.p99_us, 1500.0);
        assert_eq!(duration_us("812.00us"), Some(812.0));
        assert_eq!(duration_us("2.00s"), Some(2e6));
        assert!(parse_wrk("wrk: connection refused").is_none());
    }
}
