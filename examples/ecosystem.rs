//! Tokio-based crates inside tasklane tasks, unmodified: reqwest against a
//! hyper server on tasklane, and tokio-postgres against PostgreSQL, with
//! tasklane's `Task`, `when_all`, `CancellationToken` and errors around
//! them.
//!
//! ```text
//! cargo run --features hyper --example ecosystem
//! DATABASE_URL="host=127.0.0.1 user=postgres" cargo run --features hyper --example ecosystem
//! ```
//!
//! Without `DATABASE_URL` it starts a throwaway PostgreSQL cluster of its
//! own (Debian's `postgresql` package: `apt-get install -y postgresql`),
//! and skips that part, saying so, if there is none.

#[path = "../tests/common/http_server.rs"]
mod http_server;
#[path = "../tests/common/postgres.rs"]
mod postgres;

use std::time::Duration;
use tasklane::{CancellationTokenSource, Task};

/// Three requests at once with reqwest, awaited together; then one cut
/// short by a token.
async fn http() -> anyhow::Result<()> {
    let server = http_server::Server::start();
    let client = reqwest::Client::new();
    let gets: Vec<Task<String>> = ["/hello", "/hello", "/hello"]
        .iter()
        .map(|path| {
            let (client, url) = (client.clone(), server.url(path));
            Task::try_run_async(async move { client.get(url).send().await?.text().await })
        })
        .collect();
    let bodies = Task::when_all(gets).await?;
    println!("reqwest: 3 GETs at once -> {bodies:?}");

    let echoed = client
        .post(server.url("/echo"))
        .body("posted from a tasklane task")
        .send()
        .await?
        .text()
        .await?;
    println!("reqwest: POST /echo -> {echoed:?}");

    let cts = CancellationTokenSource::with_delay(Duration::from_millis(100));
    let slow = client.get(server.url("/slow")).send();
    match cts.token().run_until_cancelled(slow).await {
        Err(canceled) => println!("reqwest: GET /slow cut after 100 ms: {canceled}"),
        Ok(_) => println!("reqwest: GET /slow answered?"),
    }
    println!(
        "reqwest: {} connection(s) for 5 requests: idle ones were reused (keep-alive)",
        server.accepted()
    );
    Ok(())
}

/// Queries from 16 tasks over one pipelined connection.
async fn database(config: &str) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(config, tokio_postgres::NoTls).await?;
    // As tokio-postgres's docs do: the connection runs on tokio::spawn.
    tokio::spawn(connection);
    let client = std::sync::Arc::new(client);
    let queries: Vec<Task<i32>> = (0..16)
        .map(|i: i32| {
            let client = client.clone();
            Task::try_run_async(async move {
                let row = client.query_one("SELECT $1::INT * 2", &[&i]).await?;
                anyhow::Ok(row.get::<_, i32>(0))
            })
        })
        .collect();
    let doubled = Task::when_all(queries).await?;
    println!(
        "tokio-postgres: 16 tasks, 16 queries -> sum {}",
        doubled.iter().sum::<i32>()
    );
    let version: String = client.query_one("SELECT version()", &[]).await?.get(0);
    println!(
        "tokio-postgres: {}",
        version.split(',').next().unwrap_or(&version)
    );
    Ok(())
}

#[tasklane::main]
async fn main() -> anyhow::Result<()> {
    http().await?;
    match std::env::var("DATABASE_URL") {
        Ok(url) => database(&url).await?,
        Err(_) if postgres::is_installed() => {
            let pg = postgres::Postgres::start();
            database(&pg.config()).await?;
            drop(pg);
        }
        Err(_) => println!(
            "tokio-postgres: skipped (no DATABASE_URL, and no PostgreSQL to start: apt-get install -y postgresql)"
        ),
    }
    Ok(())
}
