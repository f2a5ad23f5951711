//! The layering of the crate (docs/ARCHITECTURE.md): the core — tasks
//! (`src/task/`), cancellation (`src/cancel/`), the execution context
//! (`src/flow/`) and the reporting hooks they call (`src/diag/`, but for
//! the starvation events the pool sends) — names no module above it. The
//! runtime plugs into it through the traits it defines (the task layer's
//! scheduler, its wait hook), never the other way round.

use std::path::Path;

/// Modules above the core.
const HIGHER: &[&str] = &[
    "runtime",
    "pool",
    "io",
    "net",
    "fs",
    "context",
    "time",
    "signal",
    "compat",
    "schedulers",
];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a line: what comes before a `//` comment.
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

#[test]
fn the_core_names_no_higher_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["task", "cancel", "flow"] {
        rust_files(&root.join(dir), &mut files);
    }
    for f in [
        "guard.rs",
        "unhandled.rs",
        "unobserved.rs",
        "counters.rs",
        "emit.rs",
        "settings.rs",
        "observe.rs",
    ] {
        files.push(root.join("diag").join(f));
    }
    assert!(
        files.len() > 40,
        "the core's files were not found: {files:?}"
    );
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = code(line);
            for m in HIGHER {
                if code.contains(&format!("crate::{m}::")) || code.contains(&format!("crate::{m};"))
                {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the core names higher modules (see docs/ARCHITECTURE.md):\n{}",
        found.join("\n")
    );
}
