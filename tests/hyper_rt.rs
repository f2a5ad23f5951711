//! hyper 1.x on tasklane (feature `hyper`): a hyper HTTP/1 server over
//! tasklane's `TcpStream` answers real requests on loopback, keep-alive
//! included, and its `Executor` runs futures on the pool.

mod common;

use bytes::Bytes;
use common::{assert_no_leaks, open_fds, runtime, serial, start_default_runtime, with_deadline};
use http_body::{Body, Frame};
use hyper::service::service_fn;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use tasklane::Task;
use tasklane::net::hyper_rt::Executor;
use tasklane::net::{TcpListener, TcpStream};

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

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

async fn read_response(conn: &mut TcpStream) -> String {
    // Read until the 13-byte body has arrived after the header block.
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            if got.len() >= end + 4 + 13 {
                return text;
            }
        }
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "server closed early: {text:?}");
        got.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn hyper_serves_keep_alive_requests_over_tasklane_sockets() {
    with_deadline("hyper server", || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Task::run_async(async move {
                let (stream, _) = listener.accept().await.unwrap();
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(
                        stream,
                        service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                            let body = format!("path={:<8}", req.uri().path());
                            Ok::<_, Infallible>(hyper::Response::new(Full(Some(body.into()))))
                        }),
                    )
                    .await
                    .unwrap();
            });
            let mut conn = TcpStream::connect(addr).await.unwrap();
            for path in ["/a", "/bb"] {
                let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
                conn.write_all(req.as_bytes()).await.unwrap();
                let resp = read_response(&mut conn).await;
                assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
                assert!(resp.ends_with(&format!("path={path:<8}")), "{resp}");
            }
            // Closing our side ends hyper's connection future cleanly.
            drop(conn);
            server.await.unwrap();
        });
        assert_no_leaks(&rt, fds, "hyper server");
    });
}

#[test]
fn the_executor_runs_hyper_futures_on_the_pool() {
    with_deadline("executor", || {
        let rt = runtime();
        let (tx, rx) = std::sync::mpsc::channel();
        let exec = Executor::on(rt.handle().clone());
        hyper::rt::Executor::execute(&exec, async move {
            tx.send(tasklane::task::current_id().is_some()).unwrap();
        });
        assert!(rx.recv().unwrap(), "ran as a tasklane task");
    });
}
