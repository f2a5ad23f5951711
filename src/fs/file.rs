//! `File`: an open file whose operations run on the pool.

use super::inflight::{Inflight, Outcome};
use super::run_blocking;
use std::io::{self, Read, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An open file. Every operation runs as blocking work on the pool; the
/// awaiting task holds no thread.
///
/// Operations run one at a time, in the order they were made. Dropping an
/// operation's future before it completes does not stop the syscall already
/// running, but loses nothing either: the next operation waits for it, and
/// bytes it read are kept for the next read.
///
/// Implements futures-io [`AsyncRead`](crate::io::AsyncRead),
/// [`AsyncWrite`](crate::io::AsyncWrite) and
/// [`AsyncSeek`](crate::io::AsyncSeek). Writes through
/// `AsyncWrite` are write-behind: `poll_write` takes the bytes and returns,
/// the write runs on the pool, and its error (if any) is reported by the
/// next operation — `flush` waits for it. The `async fn write`/`write_all`
/// here wait for their write.
///
/// ```
/// use tasklane::io::{AsyncRead, AsyncSeek, AsyncWrite};
/// use std::io::SeekFrom;
/// use std::pin::Pin;
///
/// tasklane::block_on(async {
///     let path = std::env::temp_dir().join(format!("tasklane-file-doc-{}", std::process::id()));
///     let mut f = tasklane::fs::File::create(&path).await?;
///     // The poll-based traits, as a generic library would drive them.
///     let n = std::future::poll_fn(|cx| Pin::new(&mut f).poll_write(cx, b"hello")).await?;
///     std::future::poll_fn(|cx| Pin::new(&mut f).poll_flush(cx)).await?;
///     assert_eq!(n, 5);
///     drop(f);
///     let mut f = tasklane::fs::File::open(&path).await?;
///     std::future::poll_fn(|cx| Pin::new(&mut f).poll_seek(cx, SeekFrom::Start(1))).await?;
///     let mut buf = [0u8; 4];
///     let n = std::future::poll_fn(|cx| Pin::new(&mut f).poll_read(cx, &mut buf)).await?;
///     assert_eq!(&buf[..n], b"ello");
///     tasklane::fs::remove_file(&path).await
/// })
/// .unwrap();
/// ```
///
/// C#: `System.IO.FileStream` with `FileOptions.Asynchronous` on Unix.
#[derive(Debug)]
pub struct File {
    inner: Inflight,
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

    /// Wraps an open std file. C#: `new FileStream(SafeFileHandle,
    /// FileAccess)`.
    pub fn from_std(file: std::fs::File) -> File {
        File {
            inner: Inflight::new(file),
        }
    }

    /// Reads up to `buf.len()` bytes (at most 64 KiB per call); `Ok(0)` at
    /// end of file. C#: `FileStream.ReadAsync`.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.inner.poll_read(cx, buf)).await
    }

    /// Reads to end of file, appending to `buf`. C#:
    /// `StreamReader.ReadToEndAsync`.
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.inner.poll_settle(cx)).await?;
        let ahead = self.inner.drain_ahead(buf);
        self.inner.start(|mut f| {
            let mut v = Vec::new();
            f.read_to_end(&mut v)?;
            Ok(Outcome::Read(v))
        });
        match self.finish().await? {
            Outcome::Read(v) => {
                buf.extend_from_slice(&v);
                Ok(ahead + v.len())
            }
            _ => unreachable!("a read_to_end job reads"),
        }
    }

    /// Writes some of `buf` (at most 64 KiB per call) and waits until the
    /// write is done. C#: `FileStream.WriteAsync`.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = std::future::poll_fn(|cx| self.inner.poll_write(cx, buf)).await?;
        std::future::poll_fn(|cx| self.inner.poll_settle(cx)).await?;
        Ok(n)
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
        std::future::poll_fn(|cx| self.inner.poll_seek(cx, pos)).await
    }

    /// Flushes data and metadata to the disk, after any write in flight.
    /// C#: `FileStream.Flush(true)`.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.run(|f| f.sync_all().map(|()| Outcome::Done)).await?;
        Ok(())
    }

    /// Truncates or extends the file. C#: `FileStream.SetLength`.
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        std::future::poll_fn(|cx| self.inner.poll_settle(cx)).await?;
        self.inner
            .start_at_caller_position(move |f| f.set_len(size).map(|()| Outcome::Done));
        self.finish().await?;
        Ok(())
    }

    /// The file's metadata, after any write in flight. C#: `FileInfo`.
    pub async fn metadata(&mut self) -> io::Result<std::fs::Metadata> {
        match self.run(|f| f.metadata().map(Outcome::Metadata)).await? {
            Outcome::Metadata(m) => Ok(m),
            _ => unreachable!("a metadata job returns metadata"),
        }
    }

    /// Runs `job` once the operation before it has finished.
    async fn run<F>(&mut self, job: F) -> io::Result<Outcome>
    where
        F: FnOnce(&std::fs::File) -> io::Result<Outcome> + Send + 'static,
    {
        std::future::poll_fn(|cx| self.inner.poll_settle(cx)).await?;
        self.inner.start(job);
        self.finish().await
    }

    /// Waits for the operation this future started (it holds `&mut self`,
    /// so nobody else started one since).
    async fn finish(&mut self) -> io::Result<Outcome> {
        std::future::poll_fn(|cx| self.inner.poll_finish(cx)).await
    }
}

impl futures_io::AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.poll_read(cx, buf)
    }
}

impl futures_io::AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.poll_settle(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.poll_settle(cx)
    }
}

impl futures_io::AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.get_mut().inner.poll_seek(cx, pos)
    }
}
