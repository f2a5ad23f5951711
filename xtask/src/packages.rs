//! Tools a step needs from Debian's packages, installed when missing (CI
//! runs as root on Debian), or an error that says how to get them.

use std::process::Command;

/// Makes sure `program` runs, installing `packages` with apt-get if it
/// does not.
pub fn ensure(program: &str, packages: &[&str]) -> Result<(), String> {
    ensure_with(program, packages, || runs(program))
}

/// Makes sure a PostgreSQL server is installed (Debian keeps its programs
/// in `/usr/lib/postgresql/<version>/bin`, off PATH): the tests start a
/// throwaway cluster of their own with it.
pub fn ensure_postgres() -> Result<(), String> {
    ensure_with("PostgreSQL (initdb)", &["postgresql"], || {
        std::fs::read_dir("/usr/lib/postgresql").is_ok_and(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.path().join("bin/initdb").exists())
        })
    })
}

fn ensure_with(program: &str, packages: &[&str], present: impl Fn() -> bool) -> Result<(), String> {
    if present() {
        return Ok(());
    }
    let how = format!("install it: apt-get install {}", packages.join(" "));
    if !is_root() || !runs("apt-get") {
        return Err(format!("{program} not found; {how}"));
    }
    eprintln!("    {program} not found: installing {}", packages.join(" "));
    let update = Command::new("apt-get").args(["update", "-qq"]).status();
    let install = Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    match (update, install) {
        (Ok(u), Ok(i)) if u.success() && i.success() && present() => Ok(()),
        _ => Err(format!(
            "{program} not found and apt-get could not install it; {how}"
        )),
    }
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
