//! The HTTP front end: a hosted service that takes jobs until the host
//! stops it.

use super::queue::{Queue, Stats, connect};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tasklane::hosting::HostedService;
use tasklane::net::TcpListener;
use tasklane::net::hyper_rt::Timer;
use tasklane::{CancellationToken, CancellationTokenSource, Task};

pub struct FrontEnd {
    addr: String,
    shared: Arc<Shared>,
    /// Stops the accept loop and asks open connections to finish.
    stop: CancellationTokenSource,
    /// The accept loop, once started.
    server: Mutex<Option<Task<()>>>,
}

/// What request handlers share.
struct Shared {
    queue: Queue,
    stats: Arc<Stats>,
    /// False from the moment the host begins to stop: new jobs get 503.
    accepting: AtomicBool,
    /// The front end's client in PostgreSQL mode.
    db: tasklane::sync::AsyncMutex<Option<tokio_postgres::Client>>,
}

impl FrontEnd {
    pub fn new(args: &super::Args, queue: Queue, stats: Arc<Stats>) -> FrontEnd {
        FrontEnd {
            addr: args.addr.clone(),
            shared: Arc::new(Shared {
                queue,
                stats,
                accepting: AtomicBool::new(true),
                db: tasklane::sync::AsyncMutex::new(None),
            }),
            stop: CancellationTokenSource::new(),
            server: Mutex::new(None),
        }
    }
}

impl HostedService for FrontEnd {
    fn start_async(&self, _token: CancellationToken) -> Task<()> {
        let listener = match TcpListener::bind(&self.addr) {
            Ok(l) => l,
            Err(e) => return Task::from_error(e),
        };
        match listener.local_addr() {
            Ok(a) => println!("listening on {a}"),
            Err(e) => return Task::from_error(e),
        }
        let server = Task::run_async(serve(listener, self.shared.clone(), self.stop.token()));
        *self.server.lock().unwrap() = Some(server);
        Task::completed()
    }

    fn stop_async(&self, token: CancellationToken) -> Task<()> {
        self.shared.accepting.store(false, Ordering::SeqCst);
        let _ = self.stop.cancel();
        let server = self.server.lock().unwrap().take();
        let shared = self.shared.clone();
        Task::run_async(async move {
            if let Some(server) = server {
                // Open connections finish the request in flight; the host's
                // deadline (`token`) cuts the wait short.
                let _ = token.run_until_cancelled(server).await;
            }
            // No job comes in any more: the workers drain what is queued.
            if let Queue::Memory { writer, .. } = &shared.queue {
                let _ = writer.complete();
            }
        })
    }
}

/// Accepts connections until `stop`, then waits for the open ones.
async fn serve(listener: TcpListener, shared: Arc<Shared>, stop: CancellationToken) {
    let mut builder = http1::Builder::new();
    builder.timer(Timer::new());
    let mut open = Vec::new();
    while let Ok((stream, _)) = listener.accept_with_token(&stop).await {
        let (shared, stop) = (shared.clone(), stop.clone());
        let builder = builder.clone();
        open.push(Task::run_async(async move {
            let service = service_fn(move |req| handle(req, shared.clone()));
            let mut conn = pin!(builder.serve_connection(stream, service));
            if stop.run_until_cancelled(conn.as_mut()).await.is_err() {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }));
        open.retain(|t: &Task<()>| !t.is_completed());
    }
    drop(listener); // connects are refused from here
    for t in open {
        let _ = t.await;
    }
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let id = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("id=")))
        .and_then(|v| v.parse::<u64>().ok());
    Ok(match (req.method(), req.uri().path(), id) {
        (&Method::POST, "/jobs", Some(id)) => enqueue(&shared, id).await,
        (&Method::POST, "/jobs", None) => {
            reply(StatusCode::BAD_REQUEST, "POST /jobs?id=N\n".into())
        }
        (&Method::GET, "/stats", _) => reply(
            StatusCode::OK,
            format!(
                "accepted {} processed {}\n",
                shared.stats.accepted(),
                shared.stats.processed()
            ),
        ),
        _ => reply(
            StatusCode::NOT_FOUND,
            "POST /jobs?id=N or GET /stats\n".into(),
        ),
    })
}

async fn enqueue(shared: &Shared, id: u64) -> Response<Full<Bytes>> {
    let stopping = || reply(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into());
    if !shared.accepting.load(Ordering::SeqCst) {
        return stopping();
    }
    match &shared.queue {
        Queue::Memory { writer, .. } => match writer.write_async(id).await {
            Ok(()) => {
                shared.stats.job_accepted();
                reply(StatusCode::ACCEPTED, format!("job {id} queued\n"))
            }
            Err(_) => stopping(),
        },
        Queue::Postgres { config } => {
            let mut db = shared.db.lock_async().await;
            if db.is_none() {
                match connect(config).await {
                    Ok(c) => *db = Some(c),
                    Err(e) => return reply(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
                }
            }
            let client = db.as_ref().expect("connected above");
            match client
                .execute(
                    "INSERT INTO jobs (id) VALUES ($1) ON CONFLICT DO NOTHING",
                    &[&(id as i64)],
                )
                .await
            {
                Ok(1) => {
                    shared.stats.job_accepted();
                    reply(StatusCode::ACCEPTED, format!("job {id} queued\n"))
                }
                Ok(_) => reply(StatusCode::CONFLICT, format!("job {id} exists\n")),
                Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
            }
        }
    }
}
