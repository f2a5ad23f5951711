//! hyper 1.x on tasklane (feature `hyper`): a hyper HTTP/1 server over
//! tasklane's `TcpStream` answers real requests on loopback, keep-alive
//! included, its `Executor` runs futures on the pool, and its `Timer`
//! sleeps and resets on tasklane's timer wheel.

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

#[test]
fn the_timer_sleeps_and_resets_in_place() {
    use hyper::rt::{Sleep, Timer as _};
    use std::time::{Duration, Instant};
    use tasklane::net::hyper_rt::Timer;
    use tasklane::time::Delay;

    with_deadline("timer", || {
        let timer = Timer::new();
        tasklane::block_on(async {
            let start = Instant::now();
            timer.sleep(Duration::from_millis(30)).await;
            assert!(start.elapsed() >= Duration::from_millis(30));

            // Armed far away and pending, then moved near: it completes at
            // the new deadline, and stays the same delay (no new sleep).
            let mut sleep = timer.sleep_until(Instant::now() + Duration::from_secs(3600));
            let mut cx = Context::from_waker(std::task::Waker::noop());
            assert!(sleep.as_mut().poll(&mut cx).is_pending());
            let near = Instant::now() + Duration::from_millis(20);
            let before: *const dyn Sleep = &*sleep;
            timer.reset(&mut sleep, near);
            assert!(std::ptr::addr_eq(before, &*sleep as *const dyn Sleep));
            assert!(sleep.is::<Delay>());
            sleep.as_mut().await;
            assert!(Instant::now() >= near);

            // Completed, then moved later: it waits again.
            let later = Instant::now() + Duration::from_millis(30);
            timer.reset(&mut sleep, later);
            sleep.as_mut().await;
            assert!(Instant::now() >= later);

            // Another timer's sleep is replaced by one of ours.
            struct Foreign;
            impl std::future::Future for Foreign {
                type Output = ();
                fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                    Poll::Pending
                }
            }
            impl Sleep for Foreign {}
            let mut foreign: Pin<Box<dyn Sleep>> = Box::pin(Foreign);
            timer.reset(&mut foreign, Instant::now() + Duration::from_millis(5));
            assert!(foreign.is::<Delay>());
            foreign.await;
        });
    });
}
