//! tokio-postgres — a Tokio-based database driver — running unmodified
//! inside tasklane tasks (feature `tokio-compat`), against a real
//! PostgreSQL started for the test: queries from 64 concurrent tasks over
//! pipelined connections (their connection futures driven by
//! `tokio::spawn` and by a tasklane task), and a `LISTEN`/`NOTIFY`
//! consumer loop.
//!
//! One test: it owns the cluster, started and stopped around it.

mod common;
#[path = "common/postgres.rs"]
mod postgres;

use common::with_deadline;
use postgres::Postgres;
use std::time::Duration;
use tasklane::{Runtime, Task};
use tokio_postgres::{AsyncMessage, Client, NoTls};

/// Connects; the connection future is driven by `tokio::spawn` (what the
/// crate's docs do) or by a tasklane task.
async fn connect(config: &str, on_tokio: bool) -> Client {
    let (client, connection) = tokio_postgres::connect(config, NoTls)
        .await
        .expect("connect");
    if on_tokio {
        tokio::spawn(connection);
    } else {
        Task::run_async(connection).forget();
    }
    client
}

async fn queries_from_64_tasks(config: &str) {
    let clients: Vec<std::sync::Arc<Client>> = vec![
        std::sync::Arc::new(connect(config, true).await),
        std::sync::Arc::new(connect(config, false).await),
        std::sync::Arc::new(connect(config, true).await),
        std::sync::Arc::new(connect(config, false).await),
    ];
    let tasks: Vec<Task<i64>> = (0..64)
        .map(|i: i64| {
            let client = clients[i as usize % clients.len()].clone();
            Task::try_run_async(async move {
                let mut sum = 0;
                for j in 0..20i64 {
                    let row = client
                        .query_one("SELECT $1::BIGINT + 1", &[&(i * 100 + j)])
                        .await?;
                    sum += row.get::<_, i64>(0);
                }
                Ok::<_, tokio_postgres::Error>(sum)
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("queries");
    }
    let expected: i64 = (0..64i64)
        .map(|i| (0..20i64).map(|j| i * 100 + j + 1).sum::<i64>())
        .sum();
    assert_eq!(total, expected);
}

async fn listen_notify(config: &str) {
    let (listener, connection) = tokio_postgres::connect(config, NoTls)
        .await
        .expect("connect");
    // The consumer loop: a tasklane task drives the connection and hands
    // each notification on, as an application's LISTEN loop does.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consumer = Task::run_async(async move {
        let mut connection = connection;
        loop {
            let message = std::future::poll_fn(|cx| connection.poll_message(cx)).await;
            match message {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("connection failed: {e}"),
                None => return,
            }
        }
    });
    listener.batch_execute("LISTEN jobs").await.unwrap();
    let sender = connect(config, true).await;
    for i in 0..50 {
        sender
            .execute("SELECT pg_notify('jobs', $1)", &[&format!("job {i}")])
            .await
            .unwrap();
    }
    for i in 0..50 {
        let payload = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("a notification within 30 s")
            .expect("the consumer is running");
        assert_eq!(payload, format!("job {i}"));
    }
    drop(listener);
    consumer.await.unwrap();
}

#[test]
fn tokio_postgres_runs_inside_tasks_against_a_real_server() {
    let pg = Postgres::start();
    let config = pg.config();
    with_deadline("tokio-postgres", move || {
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        rt.block_on(async {
            queries_from_64_tasks(&config).await;
            listen_notify(&config).await;
        });
        assert!(rt.shutdown_timeout(common::DEADLINE));
    });
    drop(pg);
}
