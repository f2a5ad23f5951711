//! reqwest — a Tokio-based HTTP client — running unmodified inside
//! tasklane tasks (feature `tokio-compat`), against tasklane's own hyper
//! server on loopback: GET and POST, with and without keep-alive, a request
//! cancelled mid-flight by a `CancellationToken`, and a runtime shut down
//! under load while reqwest's connection tasks (`tokio::spawn`ed by
//! hyper-util's pool) are alive.

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use common::{DEADLINE, with_deadline};
use http_server::Server;
use std::time::{Duration, Instant};
use tasklane::{CancellationTokenSource, Runtime, Task};

#[test]
fn get_and_post_with_keep_alive_reuse_connections() {
    with_deadline("keep-alive", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let server = Server::start();
            let client = reqwest::Client::new();
            let t = Task::try_run_async({
                let client = client.clone();
                let (hello, echo) = (server.url("/hello"), server.url("/echo"));
                async move {
                    let mut got = Vec::new();
                    for i in 0..10 {
                        let text = client.get(&hello).send().await?.text().await?;
                        got.push(text);
                        let body = format!("body {i}");
                        let back = client.post(&echo).body(body).send().await?.text().await?;
                        got.push(back);
                        // A connection goes back to reqwest's pool a moment
                        // after its response was read (a pool task sees it
                        // ready): leave it that moment.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Ok::<_, reqwest::Error>(got)
                }
            });
            let got = t.await.unwrap();
            assert_eq!(got.len(), 20);
            assert_eq!(got[0], "hello");
            assert_eq!(got[19], "body 9");
            // Reused, not one per request (the exact count depends on when
            // each connection went back to the pool).
            let accepted = server.accepted();
            assert!(accepted <= 10, "{accepted} connections for 20 requests");
        });
    });
}

#[test]
fn without_keep_alive_each_request_opens_a_connection() {
    with_deadline("no keep-alive", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let server = Server::start();
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap();
            let url = server.url("/hello");
            let t = Task::try_run_async(async move {
                for _ in 0..5 {
                    let r = client
                        .get(&url)
                        .header("connection", "close")
                        .send()
                        .await?;
                    assert_eq!(r.text().await?, "hello");
                }
                Ok::<_, reqwest::Error>(())
            });
            t.await.unwrap();
            assert_eq!(server.accepted(), 5);
        });
    });
}

#[test]
fn a_cancellation_token_stops_a_request_in_flight() {
    with_deadline("cancel a request", || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let server = Server::start();
            let client = reqwest::Client::new();
            let cts = CancellationTokenSource::with_delay(Duration::from_millis(50));
            let token = cts.token();
            let url = server.url("/slow");
            let start = Instant::now();
            let t = Task::try_run_async(async move {
                // The request as any Tokio code writes it; the token ends it.
                let r = token.run_until_cancelled(client.get(&url).send()).await?;
                r.map(|_| ()).map_err(anyhow::Error::from)
            });
            let err = (&t).await.unwrap_err();
            assert!(err.is_canceled(), "{err}");
            assert_eq!(t.status(), tasklane::TaskStatus::Canceled);
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "waited for the server"
            );
        });
    });
}

#[test]
fn a_runtime_under_reqwest_load_shuts_down_without_hanging_or_leaking() {
    with_deadline("shutdown under load", || {
        let runtimes = tasklane::diag::live_runtimes();
        // The server lives on a runtime of its own.
        let server_rt = Runtime::builder().worker_threads(1).build().unwrap();
        let server = {
            let _on = server_rt.handle().enter();
            Server::start()
        };
        for round in 0..3 {
            let rt = Runtime::builder().worker_threads(2).build().unwrap();
            let client = reqwest::Client::new();
            let url = server.url("/hello");
            let requests: Vec<Task<String>> = (0..200)
                .map(|_| {
                    let (client, url) = (client.clone(), url.clone());
                    rt.run_async(async move {
                        client.get(&url).send().await.unwrap().text().await.unwrap()
                    })
                })
                .collect();
            for r in &requests {
                assert_eq!(r.result().unwrap(), "hello", "round {round}");
            }
            // The pool's idle connections and their tokio::spawn'ed tasks
            // are alive now; more requests are in flight.
            for _ in 0..50 {
                let (client, url) = (client.clone(), url.clone());
                rt.run_async(async move {
                    let _ = client.get(&url).send().await;
                })
                .forget();
            }
            let start = Instant::now();
            assert!(
                rt.shutdown_timeout(DEADLINE),
                "round {round}: threads still running"
            );
            assert!(start.elapsed() < DEADLINE);
        }
        drop(server);
        assert!(server_rt.shutdown_timeout(DEADLINE));
        assert!(
            common::eventually(|| tasklane::diag::live_runtimes() == runtimes),
            "runtimes still allocated: {} (before: {runtimes})",
            tasklane::diag::live_runtimes()
        );
    });
}
