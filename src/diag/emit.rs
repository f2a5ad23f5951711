//! The default output of every report the runtime makes (unhandled errors,
//! unobserved faults, starvation, stalled waits, …): what happens when no
//! handler is installed.
//!
//! **One line, everywhere.** Each report is an event through `tracing`
//! and, when no `tracing` subscriber is set, one line on stderr starting
//! `tasklane: ` ([`stderr_line`]).
//!
//! **Aggregated per location.** Identical reports — the same kind from the
//! same location — are not printed thousands of times: the first is printed
//! in full and opens a window of [`REPORT_WINDOW`]; the rest inside the
//! window are counted ([`admit`] says which is which). When the window ends
//! one line sums them up:
//!
//! ```text
//! tasklane: ... and 7,106 more unobserved task faults from src/x.rs:12:5 in the last second
//! ```
//!
//! and the next report from there is printed in full again. The summary is
//! written by a short-lived thread (`tasklane-reports`) that exists only
//! while a window has suppressed reports; a runtime's shutdown writes the
//! summaries still open at once ([`flush`]). A user handler is not
//! aggregated: it sees every report.

use super::settings::REPORT_WINDOW;
use std::fmt;
use std::panic::Location;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a report is about, for the summary line and the aggregation key.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReportKind {
    UnhandledError,
    UnobservedFault,
    Starvation,
    StalledWait,
    AcceptExhausted,
    ShutdownWait,
    ThreadRefused,
    ReactorFailure,
    SlowPoll,
}

impl ReportKind {
    /// The plural, as the summary line says it.
    fn plural(self) -> &'static str {
        match self {
            ReportKind::UnhandledError => "unhandled errors",
            ReportKind::UnobservedFault => "unobserved task faults",
            ReportKind::Starvation => "starvation reports",
            ReportKind::StalledWait => "stalled waits",
            ReportKind::AcceptExhausted => "accept failures",
            ReportKind::ShutdownWait => "slow shutdowns",
            ReportKind::ThreadRefused => "refused threads",
            ReportKind::ReactorFailure => "reactor failures",
            ReportKind::SlowPoll => "slow polls",
        }
    }
}

/// One open window: a location's first report was printed at `opened`;
/// `more` were counted since.
struct Window {
    kind: ReportKind,
    location: Option<&'static Location<'static>>,
    opened: Instant,
    more: u64,
}

struct Windows {
    open: Vec<Window>,
    /// Whether the summary thread runs.
    summarizing: bool,
}

static WINDOWS: Mutex<Windows> = Mutex::new(Windows {
    open: Vec::new(),
    summarizing: false,
});

fn windows() -> std::sync::MutexGuard<'static, Windows> {
    WINDOWS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether a report of `kind` from `location` is printed in full (`true`)
/// or only counted toward its location's summary (`false`).
pub(crate) fn admit(kind: ReportKind, location: Option<&'static Location<'static>>) -> bool {
    let mut w = windows();
    let (full, ended) = w.admit(kind, location, Instant::now());
    if !full && !w.summarizing {
        w.summarizing = start_summaries();
    }
    drop(w);
    if let Some(s) = ended {
        s.emit();
    }
    full
}

impl Windows {
    /// Counts a report at `now`: whether it is printed in full, and the
    /// summary of its location's previous window if that ended unwritten.
    fn admit(
        &mut self,
        kind: ReportKind,
        location: Option<&'static Location<'static>>,
        now: Instant,
    ) -> (bool, Option<Summary>) {
        match self
            .open
            .iter_mut()
            .find(|x| x.kind == kind && x.location == location)
        {
            Some(x) if now.saturating_duration_since(x.opened) < REPORT_WINDOW => {
                x.more += 1;
                (false, None)
            }
            // The window ended and the summary thread has not written it
            // yet: write it before this report, and open a new window.
            Some(x) => {
                let ended = summary_of(x, now);
                x.opened = now;
                x.more = 0;
                (true, ended)
            }
            None => {
                self.open.push(Window {
                    kind,
                    location,
                    opened: now,
                    more: 0,
                });
                (true, None)
            }
        }
    }
}

/// A window's summary, if it counted anything.
fn summary_of(w: &Window, now: Instant) -> Option<Summary> {
    (w.more > 0).then(|| Summary {
        kind: w.kind,
        location: w.location,
        more: w.more,
        over: now.saturating_duration_since(w.opened).min(REPORT_WINDOW),
    })
}

/// "... and N more … in the last second".
struct Summary {
    kind: ReportKind,
    location: Option<&'static Location<'static>>,
    more: u64,
    over: Duration,
}

impl Summary {
    fn emit(&self) {
        let text = self.to_string();
        tracing::warn!(
            kind = self.kind.plural(),
            location = self.location.map(tracing::field::display),
            more = self.more,
            "{text}"
        );
        stderr_line(format_args!("{text}"));
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "... and {} more {}",
            thousands(self.more),
            self.kind.plural()
        )?;
        if let Some(loc) = self.location {
            write!(f, " from {loc}")?;
        }
        if self.over >= REPORT_WINDOW && REPORT_WINDOW == Duration::from_secs(1) {
            f.write_str(" in the last second")
        } else if self.over < Duration::from_secs(1) {
            write!(f, " in the last {} ms", self.over.as_millis().max(1))
        } else {
            write!(f, " in the last {:.1} s", self.over.as_secs_f64())
        }
    }
}

/// A duration as a person reads it in a report: `52 ms`, `1.5 s`, `30 s`.
pub(crate) fn duration_text(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{} ms", (d.as_secs_f64() * 1e3).round() as u64);
    }
    let s = format!("{:.1}", d.as_secs_f64());
    format!("{} s", s.strip_suffix(".0").unwrap_or(&s))
}

/// `7106` as `7,106`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Starts the thread that writes summaries as windows end; false if the
/// OS refused it (the next report past the window writes the summary
/// then, as [`admit`] does).
fn start_summaries() -> bool {
    std::thread::Builder::new()
        .name("tasklane-reports".to_owned())
        .spawn(summarize)
        .is_ok()
}

/// The summary thread: sleeps until the earliest window with counted
/// reports ends, writes the summaries of the ended ones, and exits when
/// none is left counting.
fn summarize() {
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        let mut next: Option<Instant> = None;
        {
            let mut w = windows();
            w.open.retain(|x| {
                let end = x.opened + REPORT_WINDOW;
                if end <= now {
                    // Ended: summarized (if it counted anything) and gone,
                    // so the next report is printed in full.
                    due.extend(summary_of(x, now));
                    false
                } else {
                    if x.more > 0 {
                        next = Some(next.map_or(end, |n| n.min(end)));
                    }
                    true
                }
            });
            if next.is_none() {
                w.summarizing = false;
            }
        }
        for s in &due {
            s.emit();
        }
        match next {
            Some(at) => std::thread::sleep(at.saturating_duration_since(Instant::now())),
            None => return,
        }
    }
}

/// Writes every open window's summary now and closes the windows (a
/// runtime shutting down: the process may end before the windows do).
pub(crate) fn flush() {
    let now = Instant::now();
    let due: Vec<Summary> = {
        let mut w = windows();
        let due = w.open.iter().filter_map(|x| summary_of(x, now)).collect();
        w.open.clear();
        due
    };
    for s in &due {
        s.emit();
    }
}

/// A report with nothing but its text: a `tracing` warning and the stderr
/// line, aggregated as any report.
pub(crate) fn warn(
    kind: ReportKind,
    location: Option<&'static Location<'static>>,
    text: fmt::Arguments<'_>,
) {
    if admit(kind, location) {
        tracing::warn!("{text}");
        stderr_line(text);
    }
}

/// The default's stderr line, written only when no `tracing` subscriber is
/// set (with one, the event it got is the report).
pub(crate) fn stderr_line(line: fmt::Arguments<'_>) {
    if !tracing::dispatcher::has_been_set() {
        use std::io::Write;
        // A closed stderr loses the line; it never panics the reporter.
        let _ = writeln!(std::io::stderr().lock(), "tasklane: {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_as_people_read_them() {
        assert_eq!(duration_text(Duration::from_micros(51_749)), "52 ms");
        assert_eq!(duration_text(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(duration_text(Duration::from_millis(29_999)), "30 s");
    }

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(7106), "7,106");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_summary_line_names_the_count_the_kind_and_the_location() {
        let s = Summary {
            kind: ReportKind::UnobservedFault,
            location: Some(Location::caller()),
            more: 7106,
            over: REPORT_WINDOW,
        };
        let text = s.to_string();
        assert!(
            text.starts_with("... and 7,106 more unobserved task faults from src/diag/emit.rs:"),
            "{text}"
        );
        assert!(text.ends_with(" in the last second"), "{text}");
    }

    #[test]
    fn only_the_first_report_of_a_window_is_printed_in_full() {
        let mut w = Windows {
            open: Vec::new(),
            summarizing: false,
        };
        let here = Location::caller();
        let t0 = Instant::now();
        let kind = ReportKind::UnobservedFault;
        assert!(w.admit(kind, Some(here), t0).0);
        for i in 0..100 {
            let (full, ended) = w.admit(kind, Some(here), t0 + Duration::from_millis(i));
            assert!(!full && ended.is_none());
        }
        // Another location, or another kind, has a window of its own.
        assert!(w.admit(ReportKind::StalledWait, Some(here), t0).0);
        assert!(w.admit(kind, None, t0).0);
        // Past the window: printed in full, after the summary of the 100.
        let (full, ended) = w.admit(kind, Some(here), t0 + REPORT_WINDOW);
        assert!(full);
        let ended = ended.expect("a summary");
        assert_eq!(ended.more, 100);
        // And a new window is open.
        assert!(!w.admit(kind, Some(here), t0 + REPORT_WINDOW).0);
    }
}
