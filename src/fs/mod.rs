//! Files, asynchronously: each operation runs on the pool as blocking work
//! and the awaiting task keeps no thread waiting meanwhile.
//!
//! Linux has no readiness for regular files (epoll refuses them), so — as
//! .NET's `FileStream` does on Unix — every file operation is a blocking
//! syscall run on a pool thread, inside `pool::blocking_section`, the point
//! where the pool's blocking compensation plugs in.
//!
//! ```
//! tasklane::block_on(async {
//!     let path = std::env::temp_dir().join(format!("tasklane-fs-doc-{}", std::process::id()));
//!     tasklane::fs::write(&path, b"hello").await?;
//!     assert_eq!(tasklane::fs::read_to_string(&path).await?, "hello");
//!     tasklane::fs::remove_file(&path).await
//! })
//! .unwrap();
//! ```

mod file;
mod inflight;

pub use file::File;

use crate::task::Task;
use std::io;
use std::path::{Path, PathBuf};

/// Runs a blocking file operation on the pool and waits for it without
/// holding a thread.
pub(crate) async fn run_blocking<T, F>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + Sync + 'static,
{
    let task = Task::run(move || crate::pool::blocking_section(f));
    match task.into_output().await {
        Ok(r) => r,
        // The pool shut down (or the closure panicked) before it finished.
        Err(e) => Err(io::Error::other(e)),
    }
}

/// Reads a whole file. C#: `File.ReadAllBytesAsync`.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    run_blocking(move || std::fs::read(path)).await
}

/// Reads a whole UTF-8 file. C#: `File.ReadAllTextAsync`.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    run_blocking(move || std::fs::read_to_string(path)).await
}

/// Creates or truncates a file and writes `contents`. C#:
/// `File.WriteAllBytesAsync`.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    run_blocking(move || std::fs::write(path, contents)).await
}

/// Deletes a file. C#: `File.Delete`.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    run_blocking(move || std::fs::remove_file(path)).await
}

/// A path's metadata. C#: `new FileInfo(path)`.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    let path = path.as_ref().to_owned();
    run_blocking(move || std::fs::metadata(path)).await
}

/// Creates a directory and its missing parents. C#:
/// `Directory.CreateDirectory`.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path: PathBuf = path.as_ref().to_owned();
    run_blocking(move || std::fs::create_dir_all(path)).await
}
