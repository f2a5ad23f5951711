//! `cargo ci`: every check a submission must pass, in order, stopping at the
//! first failure. Needs the Rust toolchain (rustfmt and clippy components);
//! what else a step needs (valgrind) it installs from Debian's packages
//! when missing, or says how to get it.
//!
//! Steps: `fmt`, `clippy`, `clippy-features`, `test`, `loom`, `soak`,
//! `asan`, `valgrind`, `doc`. Run a subset with `cargo ci clippy test`.
//! `--tasks N` sets the soak's size: by default 1,000,000 when the soak is
//! named, 200,000 (its short form) when every step runs.
//!
//! Build folders for the loom and sanitizer builds go under
//! `$CARGO_TARGET_DIR` (default `target`).

mod packages;
mod sanitizers;

use std::process::{Command, ExitCode};
use std::time::Instant;

/// One check.
struct Step {
    name: &'static str,
    what: &'static str,
    run: fn(&Options) -> Result<(), String>,
}

/// What the command line chose besides the steps.
struct Options {
    /// The soak's task count, if given.
    tasks: Option<u64>,
    /// True when only some steps were named.
    subset: bool,
}

/// The soak's size when every step runs (its short form), and when it is
/// named alone.
const SOAK_SHORT: u64 = 200_000;
const SOAK_FULL: u64 = 1_000_000;

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        what: "formatting",
        run: |_| cargo(&["fmt", "--all", "--check"], &[]),
    },
    Step {
        name: "clippy",
        what: "lints, warnings as errors",
        run: |_| {
            cargo(
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
                &[],
            )
        },
    },
    Step {
        name: "clippy-features",
        what: "lints with every feature (hyper, tokio-io too), warnings as errors",
        run: |_| {
            cargo(
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--all-features",
                    "--",
                    "-D",
                    "warnings",
                ],
                &[],
            )
        },
    },
    Step {
        name: "test",
        what: "unit, integration and doc tests (a throwaway PostgreSQL for the tokio-postgres tests)",
        run: |_| {
            packages::ensure_postgres()?;
            cargo(&["test", "--workspace", "--all-features"], &[])
        },
    },
    Step {
        name: "loom",
        what: "loom model checks of every atomic protocol",
        run: |_| {
            let dir = target_subdir("loom");
            cargo(
                &[
                    "test",
                    "--lib",
                    "--release",
                    "--no-default-features",
                    "--target-dir",
                    &dir,
                    "loom",
                ],
                &[("RUSTFLAGS", "--cfg loom"), ("LOOM_MAX_PREEMPTIONS", "2")],
            )
        },
    },
    Step {
        name: "soak",
        what: "mixed tasks through one runtime: nothing lost or run twice, counters back to zero, memory flat",
        run: |o| {
            let tasks = o
                .tasks
                .unwrap_or(if o.subset { SOAK_FULL } else { SOAK_SHORT });
            cargo(
                &[
                    "run",
                    "--release",
                    "--quiet",
                    "--package",
                    "tasklane-soak",
                    "--",
                    "--tasks",
                    &tasks.to_string(),
                ],
                &[],
            )
        },
    },
    Step {
        name: "asan",
        what: "AddressSanitizer with leak detection over the lifecycle, cancellation, promise and dispatcher tests and a short soak",
        run: |_| sanitizers::asan(),
    },
    Step {
        name: "valgrind",
        what: "valgrind memcheck (definite leaks are errors) over a smaller set of tests",
        run: |_| sanitizers::valgrind(),
    },
    Step {
        name: "doc",
        what: "documentation, warnings as errors",
        run: |_| {
            cargo(
                &["doc", "--workspace", "--no-deps", "--all-features"],
                &[("RUSTDOCFLAGS", "-D warnings")],
            )
        },
    },
];

/// The cargo that runs this (or `cargo`).
fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// A folder under the target directory (`$CARGO_TARGET_DIR` or `target`)
/// for a build with flags of its own.
fn target_subdir(name: &str) -> String {
    let base = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    format!("{base}/{name}")
}

/// Runs cargo with `args` and extra environment.
fn cargo(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    run(Command::new(cargo_bin())
        .args(args)
        .envs(env.iter().copied()))
}

/// Runs a command to its end; an error says how it failed.
fn run(cmd: &mut Command) -> Result<(), String> {
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{s}")),
        Err(e) => Err(format!("could not start {:?}: {e}", cmd.get_program())),
    }
}

fn parse_args() -> Result<(Vec<String>, Options), String> {
    let mut names = Vec::new();
    let mut tasks = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--tasks" {
            let v = args.next().ok_or("--tasks needs a number")?;
            tasks = Some(
                v.replace('_', "")
                    .parse()
                    .map_err(|e| format!("--tasks {v}: {e}"))?,
            );
        } else if STEPS.iter().any(|s| s.name == a) {
            names.push(a);
        } else {
            let all: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
            return Err(format!(
                "unknown step {a:?}; steps: {} (and --tasks N for the soak)",
                all.join(", ")
            ));
        }
    }
    let subset = !names.is_empty();
    Ok((names, Options { tasks, subset }))
}

fn main() -> ExitCode {
    let (wanted, options) = match parse_args() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let all = Instant::now();
    for step in STEPS {
        if options.subset && !wanted.iter().any(|w| w == step.name) {
            continue;
        }
        eprintln!("==> {} ({})", step.name, step.what);
        let start = Instant::now();
        match (step.run)(&options) {
            Ok(()) => eprintln!("<== {} passed in {:.0?}", step.name, start.elapsed()),
            Err(e) => {
                eprintln!(
                    "<== {} FAILED ({e}) after {:.0?}",
                    step.name,
                    start.elapsed()
                );
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("all checks passed in {:.0?}", all.elapsed());
    ExitCode::SUCCESS
}
