//! HTTP/1 hello-world with hyper 1.x on tasklane: tasklane's `TcpStream`
//! implements `hyper::rt::Read`/`Write`, and each connection is one task.
//!
//! ```text
//! cargo run --release --features hyper --example http_server [ADDR]   # default 127.0.0.1:8080
//! wrk -t2 -c64 -d10s http://127.0.0.1:8080/
//! ```
//!
//! Ctrl-C stops accepting and exits. (Draining open keep-alive connections
//! with a deadline needs hyper's `Timer`, which comes with tasklane's
//! timers.)

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tasklane::Task;
use tasklane::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on http://{}", listener.local_addr()?);
    tasklane::block_on(async move {
        let mut ctrl_c = Box::pin(tasklane::signal::ctrl_c());
        loop {
            let next = std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = ctrl_c.as_mut().poll(cx) {
                    return Poll::Ready(r.map(|()| None));
                }
                listener.poll_accept(cx).map(|r| r.map(Some))
            })
            .await;
            let (stream, _) = match next {
                Ok(Some(conn)) => conn,
                Ok(None) => {
                    println!("Ctrl-C: stopped accepting; bye");
                    return Ok(());
                }
                // A connection that failed before we took it: keep serving.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionAborted => continue,
                Err(e) => return Err(e),
            };
            stream.set_nodelay(true)?;
            drop(Task::run_async(async move {
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(stream, service_fn(hello));
                if let Err(e) = conn.await {
                    eprintln!("connection error: {e}");
                }
            }));
        }
    })
}

async fn hello(_: Request<Incoming>) -> Result<Response<Full>, Infallible> {
    Ok(Response::new(Full(Some(Bytes::from_static(
        b"Hello, World!",
    )))))
}

/// A body of one chunk (what http-body-util's `Full` is).
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
