//! Stopping the started services within one deadline.

use super::inner::{Inner, Stopping};
use super::log;
use crate::cancel::CancellationTokenSource;
use crate::task::TaskError;
use std::sync::Arc;
use std::time::Instant;

/// Stops every started service — in reverse order one after another, or
/// all at once — each bounded by what is left until `deadline`. A service
/// still stopping at the deadline is abandoned with a warning naming it.
/// Returns the services whose stop failed.
pub(super) async fn stop_started(
    inner: &Arc<Inner>,
    deadline: Instant,
) -> Vec<(String, TaskError)> {
    let timeout = inner.options.shutdown_timeout;
    // Fires at the deadline: what `stop_async` is told to hurry up by.
    let hurry = CancellationTokenSource::new();
    hurry.cancel_after(deadline.saturating_duration_since(Instant::now()));
    let token = hurry.token();
    let order: Vec<usize> = inner.started().into_iter().rev().collect();
    let mut failures = Vec::new();
    if inner.options.services_stop_concurrently {
        let all: Vec<Stopping> = order.iter().map(|&i| inner.stop_one(i, &token)).collect();
        for s in all {
            finish(inner, s, deadline, &mut failures).await;
        }
    } else {
        for i in order {
            let s = inner.stop_one(i, &token);
            finish(inner, s, deadline, &mut failures).await;
        }
    }
    log::debug(format_args!("stopping took at most {timeout:?}"));
    failures
}

/// Waits for one service's stop until `deadline`.
async fn finish(
    inner: &Inner,
    s: Stopping,
    deadline: Instant,
    failures: &mut Vec<(String, TaskError)>,
) {
    let entry = &inner.entries[s.index];
    match crate::time::timeout_at(deadline, std::future::IntoFuture::into_future(&s.task)).await {
        Ok(Ok(())) => log::debug(format_args!("{} stopped", entry.name)),
        Ok(Err(e)) if s.is_stop_call => {
            log::error(format_args!(
                "Hosting failed to stop {} (added at {}): {e}",
                entry.name, entry.location
            ));
            failures.push((entry.name.clone(), e));
        }
        // A background service's failure was reported when it happened.
        Ok(Err(_)) => {}
        Err(_) => log::warn(format_args!(
            "The service {} (added at {}) did not stop within the shutdown timeout ({:?}); it was abandoned.",
            entry.name, entry.location, inner.options.shutdown_timeout
        )),
    }
}
