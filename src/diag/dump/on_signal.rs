//! The dump on demand: a signal makes the process write its task dump to
//! stderr, as a JVM's thread dump on SIGQUIT.

use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::Mutex;

/// A signal that can ask for a task dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DumpSignal {
    /// SIGQUIT (Ctrl-\ in a terminal; a JVM's thread dump signal).
    Quit,
    /// SIGUSR1.
    User1,
    /// SIGUSR2.
    User2,
}

impl DumpSignal {
    fn name(self) -> &'static str {
        match self {
            DumpSignal::Quit => "SIGQUIT",
            DumpSignal::User1 => "SIGUSR1",
            DumpSignal::User2 => "SIGUSR2",
        }
    }

    fn signum(self) -> libc::c_int {
        match self {
            DumpSignal::Quit => libc::SIGQUIT,
            DumpSignal::User1 => libc::SIGUSR1,
            DumpSignal::User2 => libc::SIGUSR2,
        }
    }
}

/// From now on, each delivery of `signal` writes [`dump()`](super::dump) of
/// every live task to stderr, between a `tasklane: task dump on …` line
/// and a `tasklane: end of task dump` line. The dump is taken on a thread
/// of its own, so it comes even when every worker is stuck. The signal no
/// longer has its default effect (SIGQUIT no longer ends the process).
/// Calling it again for the same signal does nothing more. C#: none built
/// in — `dotnet-dump collect` then `dumpasync`, from outside the process.
///
/// ```no_run
/// tasklane::diag::dump_on_signal(tasklane::diag::DumpSignal::User1).unwrap();
/// // kill -USR1 <pid>  →  the task dump on stderr
/// ```
pub fn dump_on_signal(signal: DumpSignal) -> io::Result<()> {
    static INSTALLED: Mutex<Option<HashSet<DumpSignal>>> = Mutex::new(None);
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    if !installed.get_or_insert_with(HashSet::new).insert(signal) {
        return Ok(());
    }
    let name = signal.name();
    let result = crate::signal::on_thread::run_on_signal(
        signal.signum(),
        "tasklane-dump".to_owned(),
        Box::new(move || {
            let dump = super::dump();
            let mut err = io::stderr().lock();
            let _ = writeln!(err, "tasklane: task dump on {name}");
            let _ = write!(err, "{dump}");
            let _ = writeln!(err, "tasklane: end of task dump");
            let _ = err.flush();
        }),
    );
    if result.is_err() {
        installed.get_or_insert_with(HashSet::new).remove(&signal);
    }
    result
}
