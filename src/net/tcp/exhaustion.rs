//! `accept` while the process is out of descriptors: back off and report
//! once, instead of returning the error to a loop that would retry at once
//! and spin (the listener stays readable while connections wait).

use crate::net::settings::{ACCEPT_BACKOFF_FIRST, ACCEPT_BACKOFF_MAX};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// True for the errors that mean "no descriptor or buffer for now", which
/// end when the process closes something: `EMFILE`, `ENFILE`, `ENOBUFS`,
/// `ENOMEM`.
pub(crate) fn is_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// One `accept` call's backoff: the next wait, and whether it already
/// reported the episode.
pub(crate) struct Backoff {
    next: Duration,
    reported: bool,
}

impl Backoff {
    pub(crate) fn new() -> Backoff {
        Backoff {
            next: ACCEPT_BACKOFF_FIRST,
            reported: false,
        }
    }

    /// Waits before the next try, reporting the first wait.
    pub(crate) async fn wait(&mut self, error: &io::Error, local: Option<SocketAddr>) {
        if !std::mem::replace(&mut self.reported, true) {
            report(error, local);
        }
        crate::time::delay(self.next).await;
        self.next = (self.next * 2).min(ACCEPT_BACKOFF_MAX);
    }
}

/// The soft limit on open descriptors, for the report.
fn descriptor_limit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct we pass, nothing else.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim.rlim_cur)
}

fn report(error: &io::Error, local: Option<SocketAddr>) {
    let limit = descriptor_limit();
    if !crate::diag::emit::admit(crate::diag::emit::ReportKind::AcceptExhausted, None) {
        return;
    }
    tracing::warn!(
        error = %error,
        listener = ?local,
        descriptor_limit = limit,
        "accept: out of descriptors; waiting for one to free up"
    );
    crate::diag::emit::stderr_line(format_args!(
        "accept on {} failed: {error} (descriptor limit {}); the connections wait in the backlog, and accept tries again, {} ms then up to {} ms apart, until a descriptor frees up",
        local.map_or_else(|| "a listener".to_owned(), |a| a.to_string()),
        limit.map_or_else(|| "unknown".to_owned(), |l| l.to_string()),
        ACCEPT_BACKOFF_FIRST.as_millis(),
        ACCEPT_BACKOFF_MAX.as_millis()
    ));
}
