//! `cargo ci`: every check a submission must pass, in order, stopping at the
//! first failure. Needs only the Rust toolchain (rustfmt and clippy
//! components).
//!
//! Steps: `fmt`, `clippy`, `clippy-features`, `test`, `loom`, `doc`. Run a
//! subset with `cargo ci clippy test`.

use std::process::{Command, ExitCode};
use std::time::Instant;

struct Step {
    name: &'static str,
    what: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        what: "formatting",
        args: &["fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        name: "clippy",
        what: "lints, warnings as errors",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "clippy-features",
        what: "lints with the optional features (hyper, tokio-io), warnings as errors",
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        name: "test",
        what: "unit, integration and doc tests",
        args: &["test", "--workspace", "--all-features"],
        env: &[],
    },
    Step {
        name: "loom",
        what: "loom model checks of every atomic protocol",
        args: &[
            "test",
            "--lib",
            "--release",
            "--target-dir",
            "target/loom",
            "loom",
        ],
        env: &[("RUSTFLAGS", "--cfg loom"), ("LOOM_MAX_PREEMPTIONS", "2")],
    },
    Step {
        name: "doc",
        what: "documentation, warnings as errors",
        args: &["doc", "--workspace", "--no-deps", "--all-features"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
];

fn main() -> ExitCode {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    for w in &wanted {
        if !STEPS.iter().any(|s| s.name == w) {
            let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
            eprintln!("unknown step {w:?}; steps: {}", names.join(", "));
            return ExitCode::from(2);
        }
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let all = Instant::now();
    for step in STEPS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == step.name) {
            continue;
        }
        eprintln!(
            "==> {} ({}): cargo {}",
            step.name,
            step.what,
            step.args.join(" ")
        );
        let start = Instant::now();
        let mut cmd = Command::new(&cargo);
        cmd.args(step.args);
        for (k, v) in step.env {
            cmd.env(k, v);
        }
        match cmd.status() {
            Ok(s) if s.success() => {
                eprintln!("<== {} passed in {:.0?}", step.name, start.elapsed());
            }
            Ok(s) => {
                eprintln!(
                    "<== {} FAILED ({s}) after {:.0?}",
                    step.name,
                    start.elapsed()
                );
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("<== {} could not start cargo: {e}", step.name);
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("all checks passed in {:.0?}", all.elapsed());
    ExitCode::SUCCESS
}
