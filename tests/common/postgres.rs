//! A throwaway PostgreSQL cluster for tests and examples: `initdb` in a
//! temporary folder (as the `postgres` user when running as root: the
//! server refuses root), the socket in that folder, TCP on 127.0.0.1 at a
//! free port, `fsync` off; stopped and removed on drop.
//!
//! The server comes from Debian's `postgresql` package (`cargo ci`
//! installs it when missing); without it, [`Postgres::start`] fails saying
//! how to get it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running cluster.
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    /// The TCP port it listens on, on 127.0.0.1.
    pub port: u16,
}

/// The newest installed server's `bin` folder (Debian keeps them off PATH).
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

/// True if a PostgreSQL server is installed here.
pub fn is_installed() -> bool {
    server_bin().is_some()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

impl Postgres {
    /// Starts a fresh cluster, or fails with how to get PostgreSQL.
    pub fn start() -> Postgres {
        let bin = server_bin().unwrap_or_else(|| {
            panic!(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). \
                 `cargo ci` installs it; by hand: apt-get update && apt-get install -y postgresql"
            )
        });
        let as_postgres = is_root();
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("tlpg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the cluster folder");
        let pg = Postgres {
            dir,
            bin,
            as_postgres,
            port: free_port(),
        };
        if as_postgres {
            pg.must(
                "chown",
                Command::new("chown")
                    .arg("-R")
                    .arg("postgres:")
                    .arg(&pg.dir),
            );
        }
        let data = pg.dir.join("data");
        let mut initdb = pg.as_owner(&pg.bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "-N",
            "-U",
            "postgres",
        ]);
        pg.must("initdb", &mut initdb);
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            pg.port,
            pg.dir.display()
        );
        let mut start = pg.as_owner(&pg.bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(pg.dir.join("log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]);
        pg.must("pg_ctl start", &mut start);
        pg
    }

    /// A `tokio-postgres` connection string for the cluster.
    pub fn config(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres",
            self.port
        )
    }

    fn as_owner(&self, program: &Path) -> Command {
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn must(&self, what: &str, cmd: &mut Command) -> Output {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            panic!(
                "{what} failed ({}):\n{}\n{}\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut stop = self.as_owner(&self.bin.join("pg_ctl"));
        stop.arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"]);
        let _ = stop.output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
