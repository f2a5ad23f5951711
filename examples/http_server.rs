//! HTTP/1 hello-world with hyper 1.x on tasklane, with graceful shutdown.
//!
//! tasklane's `TcpStream` implements `hyper::rt::Read`/`Write`, each
//! connection is one task, and hyper's timers (the header-read timeout)
//! run on tasklane's timer wheel through `hyper_rt::Timer`.
//!
//! ```text
//! cargo run --release --features hyper --example http_server [ADDR]   # default 127.0.0.1:8080
//! wrk -t2 -c64 -d10s http://127.0.0.1:8080/
//! ```
//!
//! On Ctrl-C the server stops accepting (the listener closes, so new
//! connects are refused), asks every open connection to finish the request
//! it is serving and close (`graceful_shutdown`: a connection between
//! requests closes at once), and waits for them up to a drain deadline;
//! connections still open then (a client that stalls mid-request) are
//! closed.
//!
//! C#: a Kestrel app under the Generic Host — `ApplicationStopping`,
//! `HostOptions.ShutdownTimeout`, `KestrelServerLimits.RequestHeadersTimeout`.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tasklane::net::hyper_rt::Timer;
use tasklane::net::{TcpListener, TcpStream};
use tasklane::{CancellationToken, CancellationTokenSource, Task};

/// How the server treats slow clients and shutdown.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// A connection that has not sent a whole request head this long after
    /// it opened (or after its previous response) is closed by hyper.
    pub header_read_timeout: Duration,
    /// How long shutdown waits for open connections before closing them.
    pub drain_deadline: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            header_read_timeout: Duration::from_secs(10),
            drain_deadline: Duration::from_secs(5),
        }
    }
}

/// How the server's connections ended, once it has stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Connections accepted in all.
    pub accepted: usize,
    /// Connections still open at shutdown that closed gracefully.
    pub drained: usize,
    /// Connections still open at the drain deadline, closed then.
    pub aborted: usize,
}

/// How one connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closed {
    /// Before shutdown (the client closed it, or an error, or a timeout).
    Earlier,
    /// After shutdown began, gracefully.
    Drained,
    /// At the drain deadline.
    Aborted,
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on http://{}", listener.local_addr()?);
    let stopped = tasklane::block_on(run_until_ctrl_c(listener, Settings::default()))?;
    println!(
        "stopped: {} connections served; at shutdown {} drained, {} closed at the deadline",
        stopped.accepted, stopped.drained, stopped.aborted
    );
    Ok(())
}

/// Serves until Ctrl-C, then shuts down gracefully.
pub async fn run_until_ctrl_c(listener: TcpListener, settings: Settings) -> io::Result<Stopped> {
    // Listen for Ctrl-C before serving, so an early one is not missed.
    let ctrl_c = tasklane::signal::ctrl_c();
    let stop = CancellationTokenSource::new();
    let server = Task::run_async(serve(listener, stop.token(), settings));
    ctrl_c.await?;
    println!(
        "Ctrl-C: stopped accepting; draining open connections (up to {:?})",
        settings.drain_deadline
    );
    stop.cancel().map_err(io::Error::other)?;
    server.into_output().await.map_err(io::Error::other)?
}

/// Accepts and serves connections until `shutdown` is cancelled, then
/// drains them (see the module docs).
pub async fn serve(
    listener: TcpListener,
    shutdown: CancellationToken,
    settings: Settings,
) -> io::Result<Stopped> {
    let mut builder = http1::Builder::new();
    builder
        .timer(Timer::new())
        .header_read_timeout(settings.header_read_timeout);
    let abort = CancellationTokenSource::new();
    let mut stopped = Stopped::default();
    let mut open = Connections::default();
    loop {
        let stream = match listener.accept_with_token(&shutdown).await {
            Ok((stream, _)) => stream,
            Err(e) if tasklane::io::as_canceled(&e).is_some() => break,
            // The client gave up before we took it: keep serving.
            Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(e) => return Err(e),
        };
        stream.set_nodelay(true)?;
        stopped.accepted += 1;
        let conn = serve_connection(stream, builder.clone(), shutdown.clone(), abort.token());
        open.push(Task::run_async(conn), &mut stopped);
    }
    // Stop accepting: from here connects are refused, not queued.
    drop(listener);
    let deadline = Instant::now() + settings.drain_deadline;
    for t in &open.tasks {
        if tasklane::time::timeout_at(deadline, t.completion())
            .await
            .is_err()
        {
            break;
        }
    }
    // Whatever is still open now is closed (its connection future dropped).
    abort.cancel().map_err(io::Error::other)?;
    for t in open.tasks {
        stopped.count(t.await.unwrap_or_else(|e| {
            eprintln!("connection task failed: {e}");
            Closed::Earlier
        }));
    }
    Ok(stopped)
}

/// The connection tasks that may still be running.
#[derive(Default)]
struct Connections {
    tasks: Vec<Task<Closed>>,
}

impl Connections {
    /// Adds `t`, first forgetting finished tasks once the list has doubled
    /// since the last sweep (amortised O(1) per connection).
    fn push(&mut self, t: Task<Closed>, stopped: &mut Stopped) {
        if self.tasks.len() == self.tasks.capacity() {
            self.tasks.retain(|t| match t.try_result() {
                Some(r) => {
                    stopped.count(r.unwrap_or(Closed::Earlier));
                    false
                }
                None => true,
            });
        }
        self.tasks.push(t);
    }
}

impl Stopped {
    fn count(&mut self, closed: Closed) {
        match closed {
            Closed::Earlier => {}
            Closed::Drained => self.drained += 1,
            Closed::Aborted => self.aborted += 1,
        }
    }
}

/// Serves one connection until the client closes it or shutdown begins;
/// then lets the request in flight finish and closes, unless `abort` fires
/// first.
async fn serve_connection(
    stream: TcpStream,
    builder: http1::Builder,
    shutdown: CancellationToken,
    abort: CancellationToken,
) -> Closed {
    let mut conn = pin!(builder.serve_connection(stream, service_fn(hello)));
    let (result, closed) = match shutdown.run_until_cancelled(conn.as_mut()).await {
        Ok(r) => (r, Closed::Earlier),
        Err(_) => {
            conn.as_mut().graceful_shutdown();
            match abort.run_until_cancelled(conn.as_mut()).await {
                Ok(r) => (r, Closed::Drained),
                Err(_) => return Closed::Aborted,
            }
        }
    };
    if let Err(e) = result {
        // Timeouts and clients that vanish mid-request are routine.
        if !e.is_timeout() && !e.is_incomplete_message() {
            eprintln!("connection error: {e}");
        }
    }
    closed
}

async fn hello(_: Request<Incoming>) -> Result<Response<Full>, Infallible> {
    Ok(Response::new(Full(Some(Bytes::from_static(
        b"Hello, World!",
    )))))
}

/// A body of one chunk (what http-body-util's `Full` is).
pub struct Full(pub Option<Bytes>);

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
