//! A `File`'s one operation in flight on the pool, and its read-ahead: the
//! state that lets `File` implement futures-io's poll-based traits, and
//! lets any of its futures be dropped mid-way without losing what the pool
//! already did.
//!
//! # Rules
//!
//! - **One at a time, in order.** An operation starts only once the one
//!   before it has finished (`poll_settle`), so the file position moves as
//!   the calls were made, even when a future was dropped before its
//!   operation finished.
//! - **Nothing read is lost.** A read's bytes the caller's buffer could not
//!   take, or a read whose future was dropped, wait in the read-ahead for
//!   the next read. A write or seek first gives the read-ahead back (moving
//!   the position back by its length), so the file position is always the
//!   caller's view of it.
//! - **Writes through `AsyncWrite` are write-behind** (as Tokio's and
//!   .NET's buffered `FileStream`): `poll_write` copies the bytes, starts
//!   the write and reports them taken; its error, if any, is returned by
//!   the next operation, and `poll_flush` waits for it.

use crate::task::{IntoOutput, Task};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

/// The most bytes one read or write moves through the pool (larger buffers
/// are served in several calls). 64 KiB: the point past which a bigger copy
/// no longer pays for itself (Tokio's `MAX_BUF` is 2 MiB for throughput;
/// .NET's `FileStream` buffer is 4 KiB; 64 KiB keeps one copy in L2).
const MAX_CHUNK: usize = 64 * 1024;

/// What a finished pool operation produced.
pub(super) enum Outcome {
    /// Bytes read (empty: end of file).
    Read(Vec<u8>),
    /// The new position after a seek.
    Sought(u64),
    /// A file's metadata.
    Metadata(std::fs::Metadata),
    /// Nothing to hand back (a write, a sync, a length change).
    Done,
}

type Pending = IntoOutput<io::Result<Outcome>>;

/// The open file, its operation in flight and its read-ahead.
pub(super) struct Inflight {
    std: Arc<std::fs::File>,
    busy: Option<Pending>,
    /// The operation in flight is a seek `poll_seek` started and has not
    /// yet returned.
    seeking: bool,
    /// Bytes `ahead[pos..]` were read from the file and not yet handed out.
    ahead: Vec<u8>,
    pos: usize,
}

impl Inflight {
    pub(super) fn new(std: std::fs::File) -> Inflight {
        Inflight {
            std: Arc::new(std),
            busy: None,
            seeking: false,
            ahead: Vec::new(),
            pos: 0,
        }
    }

    /// Starts `job` on the pool as blocking work. The caller has settled
    /// the operation before.
    pub(super) fn start<F>(&mut self, job: F)
    where
        F: FnOnce(&std::fs::File) -> io::Result<Outcome> + Send + 'static,
    {
        debug_assert!(self.busy.is_none(), "one operation at a time");
        let std = self.std.clone();
        let task = Task::run(move || crate::pool::blocking_section(|| job(&std)));
        self.busy = Some(task.into_output());
    }

    /// Waits for the operation in flight and returns its outcome (`Done`
    /// if there was none).
    pub(super) fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Outcome>> {
        let Some(busy) = self.busy.as_mut() else {
            return Poll::Ready(Ok(Outcome::Done));
        };
        let r = ready!(Pin::new(busy).poll(cx));
        self.busy = None;
        self.seeking = false;
        // The pool shut down (or the job panicked) before it finished.
        Poll::Ready(r.unwrap_or_else(|e| Err(io::Error::other(e))))
    }

    /// Waits for an operation someone else started (a write-behind, or a
    /// dropped future's): its bytes read go to the read-ahead, its error is
    /// returned, anything else it produced is dropped.
    pub(super) fn poll_settle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Outcome::Read(data) = ready!(self.poll_finish(cx))? {
            self.keep_ahead(data);
        }
        Poll::Ready(Ok(()))
    }

    fn keep_ahead(&mut self, data: Vec<u8>) {
        if self.pos >= self.ahead.len() {
            self.ahead = data;
            self.pos = 0;
        } else {
            self.ahead.extend_from_slice(&data);
        }
    }

    /// Hands out the read-ahead; how far back the file position is from
    /// the caller's view of it (to seek by before a write or seek).
    fn give_back_ahead(&mut self) -> i64 {
        let unread = self.ahead.len().saturating_sub(self.pos);
        self.ahead.clear();
        self.pos = 0;
        -(unread as i64)
    }

    /// Moves the read-ahead into `buf`; `None` if there is none.
    fn take_ahead(&mut self, buf: &mut [u8]) -> Option<usize> {
        let rest = self.ahead.get(self.pos..).filter(|r| !r.is_empty())?;
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Some(n)
    }

    /// Appends all the read-ahead to `buf`.
    pub(super) fn drain_ahead(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.ahead.len().saturating_sub(self.pos);
        buf.extend_from_slice(&self.ahead[self.pos..]);
        self.ahead.clear();
        self.pos = 0;
        n
    }

    pub(super) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if let Some(n) = self.take_ahead(buf) {
                return Poll::Ready(Ok(n));
            }
            if self.busy.is_none() {
                let len = buf.len().min(MAX_CHUNK);
                self.start(move |mut f| {
                    let mut data = vec![0u8; len];
                    let n = f.read(&mut data)?;
                    data.truncate(n);
                    Ok(Outcome::Read(data))
                });
            }
            match ready!(self.poll_finish(cx))? {
                Outcome::Read(data) if data.is_empty() => return Poll::Ready(Ok(0)),
                Outcome::Read(data) => self.keep_ahead(data),
                // Someone else's operation finished: now ours.
                _ => {}
            }
        }
    }

    pub(super) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_settle(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let chunk = buf[..buf.len().min(MAX_CHUNK)].to_vec();
        let n = chunk.len();
        let back = self.give_back_ahead();
        self.start(move |mut f| {
            if back != 0 {
                f.seek(SeekFrom::Current(back))?;
            }
            f.write_all(&chunk)?;
            Ok(Outcome::Done)
        });
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_seek(
        &mut self,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            if self.busy.is_some() {
                let ours = self.seeking;
                match ready!(self.poll_finish(cx))? {
                    Outcome::Sought(p) if ours => return Poll::Ready(Ok(p)),
                    Outcome::Read(data) => self.keep_ahead(data),
                    _ => {}
                }
                continue;
            }
            let back = self.give_back_ahead();
            let pos = match pos {
                SeekFrom::Current(off) => SeekFrom::Current(off + back),
                other => other,
            };
            self.start(move |mut f| f.seek(pos).map(Outcome::Sought));
            self.seeking = true;
        }
    }

    /// Gives back the read-ahead (moving the file position back to the
    /// caller's view), then starts `job`: for operations that must see the
    /// file as the caller does (changing its length).
    pub(super) fn start_at_caller_position<F>(&mut self, job: F)
    where
        F: FnOnce(&std::fs::File) -> io::Result<Outcome> + Send + 'static,
    {
        let back = self.give_back_ahead();
        self.start(move |mut f| {
            if back != 0 {
                f.seek(SeekFrom::Current(back))?;
            }
            job(f)
        });
    }
}

impl std::fmt::Debug for Inflight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("file", &self.std)
            .field("busy", &self.busy.is_some())
            .field(
                "read_ahead",
                &(self.ahead.len() - self.pos.min(self.ahead.len())),
            )
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::sync::mpsc;
    use std::task::Waker;

    /// A file holding 0, 1, 2, … (mod 256), `len` bytes, opened read-write.
    fn pattern_file(name: &str, len: usize) -> (std::path::PathBuf, Inflight) {
        let path =
            std::env::temp_dir().join(format!("tasklane-inflight-{}-{name}", std::process::id()));
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        std::fs::write(&path, data).unwrap();
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        (path, Inflight::new(f))
    }

    /// Starts a read of `len` bytes that waits for the returned gate: the
    /// caller decides when the pool's answer arrives.
    fn gated_read(f: &mut Inflight, len: usize) -> mpsc::Sender<()> {
        let (open, gate) = mpsc::channel::<()>();
        f.start(move |mut file| {
            gate.recv().unwrap();
            let mut data = vec![0u8; len];
            let n = file.read(&mut data)?;
            data.truncate(n);
            Ok(Outcome::Read(data))
        });
        open
    }

    #[test]
    fn a_read_answered_after_a_smaller_buffer_came_keeps_the_rest() {
        let (path, mut f) = pattern_file("ahead", 1000);
        // A read of 500 in flight (a dropped future's, or a poll with a big
        // buffer); the caller now polls with 10.
        let open = gated_read(&mut f, 500);
        let mut small = [0u8; 10];
        let mut cx = Context::from_waker(Waker::noop());
        assert!(f.poll_read(&mut cx, &mut small).is_pending());
        open.send(()).unwrap();
        let n = crate::block_on(poll_fn(|cx| f.poll_read(cx, &mut small))).unwrap();
        assert_eq!(&small[..n], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // 490 bytes wait; the caller's position is 10, not 500.
        let at = crate::block_on(poll_fn(|cx| f.poll_seek(cx, SeekFrom::Current(0)))).unwrap();
        assert_eq!(at, 10);
        let n = crate::block_on(poll_fn(|cx| f.poll_read(cx, &mut small))).unwrap();
        assert_eq!(&small[..n], &[10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_write_after_a_read_ahead_lands_at_the_callers_position() {
        let (path, mut f) = pattern_file("write", 100);
        let open = gated_read(&mut f, 64);
        open.send(()).unwrap();
        let mut four = [0u8; 4];
        let n = crate::block_on(poll_fn(|cx| f.poll_read(cx, &mut four))).unwrap();
        assert_eq!(n, 4);
        let n = crate::block_on(poll_fn(|cx| f.poll_write(cx, b"WXYZ"))).unwrap();
        assert_eq!(n, 4, "taken at once (write-behind)");
        crate::block_on(poll_fn(|cx| f.poll_settle(cx))).unwrap();
        // And a length change after a read-ahead starts from the caller's
        // position too.
        let open = gated_read(&mut f, 64);
        open.send(()).unwrap();
        let n = crate::block_on(poll_fn(|cx| f.poll_read(cx, &mut four))).unwrap();
        assert_eq!((n, four), (4, [8, 9, 10, 11]));
        f.start_at_caller_position(|mut file| {
            let pos = file.stream_position()?;
            Ok(Outcome::Sought(pos))
        });
        match crate::block_on(poll_fn(|cx| f.poll_finish(cx))).unwrap() {
            Outcome::Sought(p) => assert_eq!(p, 12),
            _ => panic!("the job reports its position"),
        }
        let back = std::fs::read(&path).unwrap();
        assert_eq!(&back[..10], &[0, 1, 2, 3, b'W', b'X', b'Y', b'Z', 8, 9]);
        assert_eq!(back.len(), 100);
        std::fs::remove_file(path).unwrap();
    }
}
