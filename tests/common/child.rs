//! Tests that need a process of their own (lowered limits, dropped
//! privileges, a server apart from its clients): the test binary starts
//! itself again to run one `#[ignore]`d child test, which checks
//! [`CHILD_ENV`] to know its parent started it.

use super::DEADLINE;
use std::io::{BufRead, BufReader, Lines, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Set to the child test's name by [`spawn`].
pub const CHILD_ENV: &str = "TASKLANE_TEST_CHILD";

/// Starts this test binary again to run the child test `name`.
pub fn spawn(name: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child process")
}

/// In a child test: fails unless its parent test started it.
pub fn child_only(name: &str) {
    assert_eq!(
        std::env::var(CHILD_ENV).as_deref(),
        Ok(name),
        "{name} is run as a child process by its parent test"
    );
}

/// Reads the child's stdout up to the first line holding `key ` and
/// returns what follows it on that line (the test harness prints its own
/// text first, on the same line), with the rest of the lines.
pub fn read_value(child: &mut Child, key: &str) -> (String, Lines<BufReader<ChildStdout>>) {
    let mut lines = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
    let marker = format!("{key} ");
    let line = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("the child printed no {key:?}"));
    let value = line[line.find(&marker).unwrap() + marker.len()..]
        .trim()
        .to_owned();
    (value, lines)
}

/// Waits for the child (killing it and failing after [`DEADLINE`]) and
/// returns its stdout (`rest`, if its lines were taken, else what is left
/// in the pipe) and stderr; fails the test unless it exited 0.
pub fn finish(mut child: Child, rest: Option<Lines<BufReader<ChildStdout>>>) -> (String, String) {
    let end = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            panic!("the child did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    match rest {
        Some(lines) => lines.for_each(|l| {
            out.push_str(&l.unwrap());
            out.push('\n');
        }),
        None => {
            if let Some(s) = child.stdout.as_mut() {
                s.read_to_string(&mut out).unwrap();
            }
        }
    }
    let mut err = String::new();
    child
        .stderr
        .as_mut()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "child failed ({status}):\n{out}\n{err}");
    (out, err)
}
