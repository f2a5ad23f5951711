//! The memory-error checks: AddressSanitizer (with LeakSanitizer) and
//! valgrind's memcheck, each over a chosen set of tests.
//!
//! AddressSanitizer runs on the stable toolchain with `RUSTC_BOOTSTRAP=1`
//! and `-Zsanitizer=address`, with an explicit `--target` so the flag
//! reaches only the crates of the target (not build scripts or proc
//! macros). The standard library is not rebuilt: what it does is not
//! instrumented, which loses a few reports but raises no false ones.
//! ThreadSanitizer is not run: without a rebuilt standard library it sees
//! none of std's own synchronization (mutexes, condvars, channels, `Arc`)
//! and reports races in the test harness itself; rebuilding std needs
//! `-Zbuild-std` and the `rust-src` component.

use super::{cargo, cargo_bin, run, target_subdir};
use std::process::Command;

/// The tests AddressSanitizer runs: the runtime's lifecycle (build, work in
/// flight, shutdown, drop), cancellation, promises, the dispatcher, panics
/// contained on the runtime's threads, and waits on a capped pool.
const ASAN_TESTS: &[&str] = &[
    "runtime_lifecycle",
    "runtime",
    "cancellation",
    "promises",
    "dispatcher",
    "panic_containment",
    "capped_pool",
];

/// The soak's short form under AddressSanitizer (a debug build).
const ASAN_SOAK: &[&str] = &["--tasks", "20000", "--idle", "2000"];

/// The smaller set valgrind runs (it serializes the threads).
const VALGRIND_TESTS: &[&str] = &[
    "runtime_lifecycle",
    "promises",
    "value_task",
    "status",
    "cancellation",
    "panic_containment",
    "capped_pool",
];

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> Result<String, String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| format!("could not run rustc -vV: {e}"))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or_else(|| "rustc -vV printed no host line".to_owned())
}

pub fn asan() -> Result<(), String> {
    let host = host_triple()?;
    let dir = target_subdir("asan");
    let env: &[(&str, &str)] = &[
        ("RUSTC_BOOTSTRAP", "1"),
        ("RUSTFLAGS", "-Zsanitizer=address"),
        ("ASAN_OPTIONS", "detect_leaks=1"),
    ];
    let mut args = vec!["test", "--target", &host, "--target-dir", &dir];
    for t in ASAN_TESTS {
        args.extend(["--test", t]);
    }
    cargo(&args, env)?;
    let mut soak = vec![
        "run",
        "--quiet",
        "--target",
        &host,
        "--target-dir",
        &dir,
        "--package",
        "tasklane-soak",
        "--",
    ];
    soak.extend(ASAN_SOAK);
    cargo(&soak, env)
}

pub fn valgrind() -> Result<(), String> {
    super::packages::ensure("valgrind", &["valgrind"])?;
    let mut args = vec!["test", "--no-run", "--message-format=json"];
    for t in VALGRIND_TESTS {
        args.extend(["--test", t]);
    }
    let out = Command::new(cargo_bin())
        .args(&args)
        .output()
        .map_err(|e| format!("could not build the tests: {e}"))?;
    if !out.status.success() {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        return Err(format!("building the tests: {}", out.status));
    }
    let binaries = executables(&String::from_utf8_lossy(&out.stdout));
    if binaries.len() != VALGRIND_TESTS.len() {
        return Err(format!(
            "expected {} test binaries, cargo built {binaries:?}",
            VALGRIND_TESTS.len()
        ));
    }
    for bin in binaries {
        eprintln!("    valgrind {bin}");
        run(Command::new("valgrind").args([
            "--quiet",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--error-exitcode=99",
            &bin,
            "--test-threads=2",
        ]))?;
    }
    Ok(())
}

/// The `"executable":"…"` paths in cargo's JSON messages.
fn executables(json: &str) -> Vec<String> {
    const KEY: &str = "\"executable\":\"";
    json.lines()
        .filter_map(|line| {
            let start = line.find(KEY)? + KEY.len();
            let end = line[start..].find('"')?;
            Some(line[start..start + end].replace("\\\\", "\\"))
        })
        .collect()
}
