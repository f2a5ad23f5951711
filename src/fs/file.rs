//! `File`: an open file whose reads and writes run on the pool.

use super::run_blocking;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

/// The most bytes one `read` or `write` moves through the pool (larger
/// buffers are served in several calls). 64 KiB: the point past which a
/// bigger copy no longer pays for itself (Tokio's `MAX_BUF` is 2 MiB for
/// throughput; .NET's `FileStream` buffer is 4 KiB; 64 KiB keeps one copy
/// in L2).
const MAX_CHUNK: usize = 64 * 1024;

/// An open file. Every operation runs as blocking work on the pool; the
/// awaiting task holds no thread. Dropping an operation's future before it
/// completes does not stop the syscall already running (it finishes on the
/// pool, and the file position moves as it says).
///
/// C#: `System.IO.FileStream` with `FileOptions.Asynchronous` on Unix.
#[derive(Debug)]
pub struct File {
    std: Arc<std::fs::File>,
}

impl File {
    /// Opens a file for reading. C#: `File.OpenRead`.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let f = run_blocking(move || std::fs::File::open(path)).await?;
        Ok(File::from_std(f))
    }

    /// Creates (or truncates) a file for writing. C#: `File.Create`.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let f = run_blocking(move || std::fs::File::create(path)).await?;
        Ok(File::from_std(f))
    }

    /// Opens with explicit options. C#: `new FileStream(path, mode, access)`.
    pub async fn open_with(
        path: impl AsRef<Path>,
        options: std::fs::OpenOptions,
    ) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let f = run_blocking(move || options.open(path)).await?;
        Ok(File::from_std(f))
    }

    /// Wraps an open std file.
    pub fn from_std(file: std::fs::File) -> File {
        File {
            std: Arc::new(file),
        }
    }

    /// Reads up to `buf.len()` bytes (at most 64 KiB per call); `Ok(0)` at
    /// end of file. C#: `FileStream.ReadAsync`.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(MAX_CHUNK);
        let std = self.std.clone();
        let data = run_blocking(move || {
            let mut tmp = vec![0u8; len];
            let n = (&*std).read(&mut tmp)?;
            tmp.truncate(n);
            Ok(tmp)
        })
        .await?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }

    /// Reads to end of file, appending to `buf`. C#:
    /// `StreamReader.ReadToEndAsync`.
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let std = self.std.clone();
        let data = run_blocking(move || {
            let mut v = Vec::new();
            (&*std).read_to_end(&mut v)?;
            Ok(v)
        })
        .await?;
        buf.extend_from_slice(&data);
        Ok(data.len())
    }

    /// Writes some of `buf` (at most 64 KiB per call). C#:
    /// `FileStream.WriteAsync`.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let chunk = buf[..buf.len().min(MAX_CHUNK)].to_vec();
        let std = self.std.clone();
        run_blocking(move || (&*std).write(&chunk)).await
    }

    /// Writes all of `buf`. C#: `FileStream.WriteAsync`.
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Moves the file position. C#: `FileStream.Seek`.
    pub async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let std = self.std.clone();
        run_blocking(move || (&*std).seek(pos)).await
    }

    /// Flushes data and metadata to the disk. C#: `FileStream.Flush(true)`.
    pub async fn sync_all(&self) -> io::Result<()> {
        let std = self.std.clone();
        run_blocking(move || std.sync_all()).await
    }

    /// Truncates or extends the file. C#: `FileStream.SetLength`.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let std = self.std.clone();
        run_blocking(move || std.set_len(size)).await
    }

    /// The file's metadata. C#: `FileInfo`.
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let std = self.std.clone();
        run_blocking(move || std.metadata()).await
    }
}
