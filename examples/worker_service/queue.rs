//! Where jobs wait: a bounded `Channel` in memory, or a PostgreSQL table.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tasklane::Task;
use tasklane::sync::{
    BoundedChannelOptions, Channel, ChannelReader, ChannelWriter, IProgress, Progress,
};

/// The job queue both sides share.
#[derive(Clone)]
pub enum Queue {
    /// .NET's `IBackgroundTaskQueue`: a bounded channel; a full one makes
    /// the request wait (back-pressure).
    Memory {
        writer: ChannelWriter<u64>,
        reader: ChannelReader<u64>,
    },
    /// A `jobs` table; workers claim rows with `FOR UPDATE SKIP LOCKED`.
    Postgres { config: Arc<str> },
}

impl Queue {
    pub fn new(args: &super::Args) -> Result<Queue, String> {
        match &args.postgres {
            None => {
                let Channel { writer, reader } =
                    Channel::bounded(BoundedChannelOptions::new(args.capacity))
                        .map_err(|e| e.to_string())?;
                Ok(Queue::Memory { writer, reader })
            }
            Some(config) => {
                tasklane::block_on(async {
                    let client = connect(config).await?;
                    client
                        .batch_execute(
                            "CREATE TABLE IF NOT EXISTS jobs (
                                id BIGINT PRIMARY KEY,
                                state TEXT NOT NULL DEFAULT 'queued',
                                worker INT,
                                processed_count INT NOT NULL DEFAULT 0)",
                        )
                        .await
                        .map_err(|e| e.to_string())
                })?;
                Ok(Queue::Postgres {
                    config: config.as_str().into(),
                })
            }
        }
    }
}

/// A client whose connection runs as a task of its own.
pub async fn connect(config: &str) -> Result<tokio_postgres::Client, String> {
    let (client, connection) = tokio_postgres::connect(config, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("connect to PostgreSQL ({config}): {e}"))?;
    Task::run_async(async move {
        if let Err(e) = connection.await {
            eprintln!("worker_service: PostgreSQL connection: {e}");
        }
    })
    .forget();
    Ok(client)
}

/// What `GET /stats` reports. Processed jobs are counted through a
/// `Progress<u64>`: the workers report, the handler counts on the pool.
pub struct Stats {
    accepted: AtomicU64,
    processed: Arc<AtomicU64>,
    progress: Progress<u64>,
}

impl Default for Stats {
    fn default() -> Stats {
        let processed = Arc::new(AtomicU64::new(0));
        let p = processed.clone();
        Stats {
            accepted: AtomicU64::new(0),
            processed,
            progress: Progress::new(move |n| {
                p.fetch_add(n, Ordering::Relaxed);
            }),
        }
    }
}

impl Stats {
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::Relaxed)
    }

    pub fn job_accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub fn job_processed(&self) {
        self.progress.report(1);
    }
}
