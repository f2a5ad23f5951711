//! The host's log lines: `tracing` events (target `tasklane::hosting`),
//! and, when no `tracing` subscriber is set, the same lines on stderr in
//! the shape of .NET's console logger (`info: …`, `warn: …`, `fail: …`).
//! A subscriber set to a higher level silences them.

use std::fmt;

fn console(level: &str, message: fmt::Arguments<'_>) {
    if !tracing::dispatcher::has_been_set() {
        use std::io::Write;
        // A closed stderr loses the line; it never panics the host.
        let _ = writeln!(std::io::stderr().lock(), "{level}: {message}");
    }
}

pub(crate) fn info(message: fmt::Arguments<'_>) {
    tracing::info!(target: "tasklane::hosting", "{message}");
    console("info", message);
}

pub(crate) fn warn(message: fmt::Arguments<'_>) {
    tracing::warn!(target: "tasklane::hosting", "{message}");
    console("warn", message);
}

pub(crate) fn error(message: fmt::Arguments<'_>) {
    tracing::error!(target: "tasklane::hosting", "{message}");
    console("fail", message);
}

/// Details only a subscriber at debug level sees.
pub(crate) fn debug(message: fmt::Arguments<'_>) {
    tracing::debug!(target: "tasklane::hosting", "{message}");
}
