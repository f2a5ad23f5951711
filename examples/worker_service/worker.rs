//! A worker: a `BackgroundService` that processes jobs until the queue is
//! completed and drained.

use super::queue::{Queue, Stats, connect};
use std::sync::Arc;
use std::time::Duration;
use tasklane::hosting::BackgroundService;
use tasklane::{BoxError, CancellationToken};

/// How long a worker of the PostgreSQL queue sleeps when it finds no job.
const IDLE_POLL: Duration = Duration::from_millis(20);

pub struct Worker {
    id: usize,
    queue: Queue,
    stats: Arc<Stats>,
    job: Duration,
    fail_after: Option<u64>,
    hang: bool,
}

impl Worker {
    pub fn new(id: usize, args: &super::Args, queue: &Queue, stats: &Arc<Stats>) -> Worker {
        Worker {
            id,
            queue: queue.clone(),
            stats: stats.clone(),
            job: args.job,
            // Only worker 0 misbehaves when asked to.
            fail_after: args.fail_after.filter(|_| id == 0),
            hang: args.hang && id == 0,
        }
    }

    /// Does the work of a job.
    async fn work(&self) {
        if self.hang {
            // Never finishes, and never looks at its token.
            std::future::pending::<()>().await;
        }
        tasklane::time::delay(self.job).await;
    }

    /// Job `id` is done: say so, count it, and fail if asked to.
    fn finished(&self, id: u64, done: &mut u64) -> Result<(), BoxError> {
        println!("processed job {id} by worker {}", self.id);
        self.stats.job_processed();
        *done += 1;
        if self.fail_after.is_some_and(|k| *done >= k) {
            return Err(
                format!("worker {} failed after {done} jobs (--fail-after)", self.id).into(),
            );
        }
        Ok(())
    }
}

impl BackgroundService for Worker {
    async fn execute(self: Arc<Self>, stopping: CancellationToken) -> Result<(), BoxError> {
        let mut done = 0;
        match &self.queue {
            // Reads until the front end completes the channel and it is
            // drained: every accepted job is processed. The token is not
            // needed: the channel's completion is the stop signal.
            Queue::Memory { reader, .. } => {
                while let Ok(id) = reader.read_async().await {
                    self.work().await;
                    self.finished(id, &mut done)?;
                }
            }
            Queue::Postgres { config } => {
                let mut client = connect(config).await?;
                loop {
                    let tx = client.transaction().await?;
                    let row = tx
                        .query_opt(
                            "SELECT id FROM jobs WHERE state = 'queued'
                             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                            &[],
                        )
                        .await?;
                    let Some(row) = row else {
                        drop(tx);
                        // Stopping comes after the front end stopped: no new
                        // rows, so an empty queue now is drained.
                        if stopping.is_cancellation_requested() {
                            break;
                        }
                        tasklane::time::delay(IDLE_POLL).await;
                        continue;
                    };
                    let id: i64 = row.get(0);
                    self.work().await;
                    tx.execute(
                        "UPDATE jobs SET state = 'done', worker = $2,
                         processed_count = processed_count + 1 WHERE id = $1",
                        &[&id, &(self.id as i32)],
                    )
                    .await?;
                    tx.commit().await?;
                    self.finished(id as u64, &mut done)?;
                }
            }
        }
        Ok(())
    }
}
