//! A small HTTP/1 server on tasklane (hyper over tasklane's sockets), for
//! tests whose clients are real HTTP clients: `GET /hello`, `POST /echo`
//! (the body back), `GET /slow` (answers after 30 s). It counts the
//! connections it accepted, to tell keep-alive from one connection per
//! request.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tasklane::Task;
use tasklane::net::TcpListener;

/// A running server: its address and how many connections it accepted.
pub struct Server {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    _accept_loop: Task<()>,
}

impl Server {
    /// Binds on loopback and serves from tasks of the current runtime.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let accept_loop = Task::run_async(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                Task::run_async(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(stream, service_fn(answer))
                        .await;
                })
                .forget();
            }
        });
        Server {
            addr,
            accepted,
            _accept_loop: accept_loop,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match req.uri().path() {
        "/hello" => Bytes::from_static(b"hello"),
        "/echo" => req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default(),
        "/slow" => {
            tasklane::time::delay(Duration::from_secs(30)).await;
            Bytes::from_static(b"late")
        }
        _ => Bytes::from_static(b"?"),
    };
    Ok(Response::new(Full::new(body)))
}
