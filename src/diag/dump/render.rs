//! A dump as text (async stacks, roots first) and as JSON.
//!
//! Each task waits on at most one other, so the tasks form a forest when
//! each task is drawn under the one it waits on: a root is a task that
//! waits on no other live task (it runs, is queued, or waits on a
//! primitive, a delay, a socket), and below it, indented, the tasks that
//! await it, and theirs. That is `dumpasync`'s async stack, innermost
//! first. The tasks of a cycle have no root; each cycle is drawn from its
//! lowest id.

use super::{TaskDump, TaskInfo, TaskKindInfo, WaitingOn};
use std::fmt::{self, Write};
use std::time::Duration;

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = super::index(&self.tasks);
        // Awaiters of each task, by index.
        let mut awaiters: Vec<Vec<usize>> = vec![Vec::new(); self.tasks.len()];
        let mut has_parent = vec![false; self.tasks.len()];
        for (i, t) in self.tasks.iter().enumerate() {
            if let Some(&target) = t.awaited_task().and_then(|id| index.get(&id)) {
                awaiters[target].push(i);
                has_parent[i] = true;
            }
        }
        writeln!(
            f,
            "task dump: {} live task{}, {} deadlock{} (taken in {})",
            self.tasks.len(),
            plural(self.tasks.len()),
            self.deadlocks.len(),
            plural(self.deadlocks.len()),
            human(self.took),
        )?;
        let mut drawn = vec![false; self.tasks.len()];
        for (i, _) in self
            .tasks
            .iter()
            .enumerate()
            .filter(|(i, _)| !has_parent[*i])
        {
            draw(f, &self.tasks, &awaiters, &mut drawn, i)?;
        }
        for d in &self.deadlocks {
            writeln!(f)?;
            writeln!(f, "{d}")?;
            // A cycle hanging below a tree already drawn is shown there.
            if let Some(&start) = index.get(&d.steps[0].0).filter(|&&i| !drawn[i]) {
                draw(f, &self.tasks, &awaiters, &mut drawn, start)?;
            }
        }
        // Anything left hangs below a cycle already drawn.
        Ok(())
    }
}

/// Draws the tree of awaiters under `root`, depth first, without recursion
/// (an await chain can be as long as a program makes it).
fn draw(
    f: &mut fmt::Formatter<'_>,
    tasks: &[TaskInfo],
    awaiters: &[Vec<usize>],
    drawn: &mut [bool],
    root: usize,
) -> fmt::Result {
    let mut stack = vec![(root, 0usize)];
    while let Some((i, depth)) = stack.pop() {
        let t = &tasks[i];
        if drawn[i] {
            // The way back into a cycle.
            writeln!(
                f,
                "{:indent$}└ task {} (above)",
                "",
                t.id,
                indent = depth * 2
            )?;
            continue;
        }
        drawn[i] = true;
        if depth == 0 {
            writeln!(f)?;
            write!(f, "● ")?;
        } else {
            write!(f, "{:indent$}└ ", "", indent = depth * 2)?;
        }
        line(f, t)?;
        for &a in awaiters[i].iter().rev() {
            stack.push((a, depth + 1));
        }
    }
    Ok(())
}

fn line(f: &mut fmt::Formatter<'_>, t: &TaskInfo) -> fmt::Result {
    write!(f, "task {}", t.id)?;
    if let Some(name) = &t.name {
        write!(f, " \"{name}\"")?;
    }
    let kind = match t.kind {
        TaskKindInfo::Work => "",
        TaskKindInfo::Promise => " (promise)",
        TaskKindInfo::Continuation => " (continuation)",
        TaskKindInfo::AsyncMethod => " (async method)",
    };
    write!(f, "{kind} {:?}", t.status)?;
    if let Some(home) = &t.home {
        write!(f, " on {home}")?;
    }
    write!(f, ", created at {}", t.location)?;
    if let Some(by) = t.created_by {
        write!(f, " by task {by}")?;
    }
    write!(f, ", age {}", coarse(t.age))?;
    if t.kind != TaskKindInfo::Promise {
        write!(f, ", {} poll{}", t.polls, plural(t.polls as usize))?;
        if let Some(since) = t.since_last_poll {
            write!(f, " (last parked {} ago)", coarse(since))?;
        }
    }
    if let Some(w) = &t.waiting_on {
        write!(f, " — {}", Waiting(w))?;
        if t.waits_on_more {
            f.write_str(" (and more)")?;
        }
    }
    writeln!(f)
}

struct Waiting<'a>(&'a WaitingOn);

impl fmt::Display for Waiting<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            WaitingOn::Task(id) => write!(f, "awaits task {id}"),
            WaitingOn::BlockedOn(id) => write!(f, "blocked in wait() on task {id}"),
            WaitingOn::Primitive(site) => write!(f, "waits on {site}"),
            WaitingOn::Delay { due_in } => {
                write!(f, "waits on a delay due in {}", coarse(*due_in))
            }
            WaitingOn::Socket { write, local, peer } => {
                f.write_str(if *write {
                    "waits to write to a socket"
                } else {
                    "waits to read from a socket"
                })?;
                if let Some(l) = local {
                    write!(f, " {l}")?;
                }
                if let Some(p) = peer {
                    write!(f, " ↔ {p}")?;
                }
                Ok(())
            }
            WaitingOn::Token => f.write_str("waits for a cancellation token"),
        }
    }
}

/// A duration read on the millisecond-grained clock.
fn coarse(d: Duration) -> String {
    if d < Duration::from_millis(5) {
        "under 5 ms".to_owned()
    } else {
        human(d)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A duration for people: "850 µs", "12.3 ms", "4.2 s".
fn human(d: Duration) -> String {
    let us = d.as_micros();
    let s = d.as_secs_f64();
    if us < 1000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

impl TaskDump {
    /// The dump as JSON: `{"took_us": .., "tasks": [..], "deadlocks": [..]}`,
    /// each task with the fields of [`TaskInfo`] (durations in µs), each
    /// deadlock with its `steps` (`[id, "awaits"|"blocked_on"|"completed_by"]`)
    /// and `certain`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(64 + self.tasks.len() * 256);
        let _ = write!(out, "{{\"took_us\":{},\"tasks\":[", self.took.as_micros());
        for (i, t) in self.tasks.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            task_json(&mut out, t);
        }
        out.push_str("],\"deadlocks\":[");
        for (i, d) in self.deadlocks.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"steps\":[");
            for (j, (id, edge)) in d.steps.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                let edge = match edge {
                    super::DeadlockEdge::Awaits => "awaits",
                    super::DeadlockEdge::BlockedOn => "blocked_on",
                    super::DeadlockEdge::CompletedBy => "completed_by",
                };
                let _ = write!(out, "[{id},\"{edge}\"]");
            }
            let _ = write!(out, "],\"certain\":{}}}", d.certain);
        }
        out.push_str("]}");
        out
    }
}

fn task_json(out: &mut String, t: &TaskInfo) {
    let _ = write!(out, "{{\"id\":{},\"name\":", t.id);
    match &t.name {
        Some(n) => string(out, n),
        None => out.push_str("null"),
    }
    let _ = write!(
        out,
        ",\"kind\":\"{:?}\",\"status\":\"{:?}\",\"home\":",
        t.kind, t.status
    );
    match &t.home {
        Some(h) => string(out, h),
        None => out.push_str("null"),
    }
    out.push_str(",\"location\":");
    string(out, &t.location.to_string());
    let _ = write!(
        out,
        ",\"age_us\":{},\"since_last_poll_us\":{},\"polls\":{},\"created_by\":{},\"waits_on_more\":{},\"waiting_on\":",
        t.age.as_micros(),
        t.since_last_poll
            .map_or_else(|| "null".to_owned(), |d| d.as_micros().to_string()),
        t.polls,
        t.created_by
            .map_or_else(|| "null".to_owned(), |id| id.to_string()),
        t.waits_on_more,
    );
    match &t.waiting_on {
        None => out.push_str("null"),
        Some(WaitingOn::Task(id)) => {
            let _ = write!(out, "{{\"task\":{id}}}");
        }
        Some(WaitingOn::BlockedOn(id)) => {
            let _ = write!(out, "{{\"blocked_on\":{id}}}");
        }
        Some(WaitingOn::Primitive(site)) => {
            out.push_str("{\"primitive\":");
            string(out, &site.kind.to_string());
            out.push_str(",\"location\":");
            string(out, &site.location.to_string());
            out.push('}');
        }
        Some(WaitingOn::Delay { due_in }) => {
            let _ = write!(out, "{{\"delay_due_in_us\":{}}}", due_in.as_micros());
        }
        Some(WaitingOn::Socket { write, local, peer }) => {
            let _ = write!(
                out,
                "{{\"socket\":\"{}\",\"local\":",
                if *write { "write" } else { "read" }
            );
            match local {
                Some(a) => string(out, &a.to_string()),
                None => out.push_str("null"),
            }
            out.push_str(",\"peer\":");
            match peer {
                Some(a) => string(out, &a.to_string()),
                None => out.push_str("null"),
            }
            out.push('}');
        }
        Some(WaitingOn::Token) => out.push_str("{\"token\":true}"),
    }
    out.push('}');
}

/// A JSON string literal.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
