//! Files through the pool: whole-file helpers, `File` reads and writes,
//! typed errors for missing files, and a file operation that blocks for
//! long not stalling the work queued behind it.

mod common;

use std::io::{ErrorKind, SeekFrom};
use tasklane::fs::{self, File};

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("tasklane-fs-{}-{name}", std::process::id()))
}

#[test]
fn write_then_read_whole_files() {
    let path = temp("whole");
    tasklane::block_on(async {
        fs::write(&path, b"hello file").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"hello file");
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "hello file");
        assert_eq!(fs::metadata(&path).await.unwrap().len(), 10);
        fs::remove_file(&path).await.unwrap();
    });
}

#[test]
fn file_reads_writes_and_seeks() {
    let path = temp("file");
    tasklane::block_on(async {
        let mut f = File::create(&path).await.unwrap();
        let big = vec![3u8; 200_000];
        f.write_all(&big).await.unwrap();
        f.sync_all().await.unwrap();
        assert_eq!(f.metadata().await.unwrap().len(), 200_000);
        drop(f);
        let mut f = File::open(&path).await.unwrap();
        let mut buf = [0u8; 10];
        assert_eq!(f.read(&mut buf).await.unwrap(), 10);
        assert_eq!(f.seek(SeekFrom::Start(199_995)).await.unwrap(), 199_995);
        let mut rest = Vec::new();
        assert_eq!(f.read_to_end(&mut rest).await.unwrap(), 5);
        assert_eq!(f.read(&mut buf).await.unwrap(), 0, "end of file");
        fs::remove_file(&path).await.unwrap();
    });
}

#[test]
fn a_missing_file_is_not_found() {
    tasklane::block_on(async {
        let err = File::open(temp("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = fs::read(temp("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[cfg(unix)]
mod blocked_for_long {
    //! File work runs on the pool inside the runtime's own blocking
    //! section: announced, not counted, until the supervisor sees it last a
    //! `stall_window`, then counted as blocked and compensated. A loom model
    //! checks that promotion's atomics; this is the behaviour end to end,
    //! with a file operation that really blocks — a read of a FIFO whose
    //! writer keeps it open without writing.

    use super::common::{DEADLINE, wait_until, with_deadline};
    use super::temp;
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    use tasklane::diag::{StarvationEvent, StarvationKind, set_starvation_handler};
    use tasklane::{Runtime, Task, fs};

    /// A named pipe; dropping it unblocks whatever still waits on it (a
    /// writer comes and goes: a blocked open returns, a blocked read sees
    /// end of file) and removes it.
    struct Fifo(PathBuf);

    impl Fifo {
        fn new(name: &str) -> Fifo {
            let path = temp(name);
            let _ = std::fs::remove_file(&path);
            let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
            // SAFETY: `c` is a valid NUL-terminated path.
            let r = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
            assert_eq!(r, 0, "mkfifo: {}", std::io::Error::last_os_error());
            Fifo(path)
        }

        /// Opens the write end once a reader has the FIFO open (until
        /// then a non-blocking open fails with `ENXIO`): the reader is
        /// then inside its read.
        fn writer_once_read(&self) -> std::fs::File {
            let start = Instant::now();
            loop {
                match writer(&self.0) {
                    Ok(f) => return f,
                    Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                        assert!(start.elapsed() < DEADLINE, "the file read never started");
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    Err(e) => panic!("opening the FIFO to write: {e}"),
                }
            }
        }
    }

    fn writer(path: &Path) -> std::io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
    }

    impl Drop for Fifo {
        fn drop(&mut self) {
            // Read-write never waits for a partner (Linux).
            drop(
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&self.0),
            );
            let _ = std::fs::remove_file(&self.0);
        }
    }

    static EVENTS: Mutex<Vec<StarvationEvent>> = Mutex::new(Vec::new());

    /// On a 1-worker pool, `fs::read` of a FIFO blocks the only worker in
    /// `read(2)` until the writer writes and closes. Work queued meanwhile
    /// runs while the read is still blocked; the blocked worker counts as
    /// blocked (promoted by the supervisor, not found as blocking nobody
    /// announced: no `BlockedInPoll` report); the read then completes with
    /// the bytes, and the count goes back to zero.
    #[test]
    fn a_blocked_file_read_does_not_stall_the_work_queued_behind_it() {
        blocked_read_lets_queued_work_run("blocked-read", |rt, path| {
            rt.run_async(async move { fs::read(&path).await })
        });
    }

    /// The same through a `fs::File` handle: its open of the FIFO waits
    /// for the writer, then its `read_to_end` blocks the only worker in
    /// `read(2)`, on the pool, until the writer writes and closes.
    #[test]
    fn a_blocked_read_through_a_file_handle_does_not_stall_the_work_queued_behind_it() {
        blocked_read_lets_queued_work_run("blocked-handle-read", |rt, path| {
            rt.run_async(async move {
                let mut file = fs::File::open(&path).await?;
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).await?;
                Ok(bytes)
            })
        });
    }

    /// Starts `read` of a fresh FIFO on a 1-worker pool, and checks the
    /// behaviour above while the read blocks and after it completes.
    fn blocked_read_lets_queued_work_run(
        name: &'static str,
        read: impl FnOnce(&Runtime, PathBuf) -> Task<std::io::Result<Vec<u8>>> + Send + 'static,
    ) {
        with_deadline(name, || {
            set_starvation_handler(Some(Arc::new(|e: &StarvationEvent| {
                EVENTS.lock().unwrap().push(e.clone());
            })));
            let rt = Runtime::builder()
                .worker_threads(1)
                .thread_name("fs-blocked-test")
                .build()
                .expect("runtime");
            let h = rt.handle().clone();
            // After the runtime: dropped first, so a failing test unblocks
            // the worker before the runtime shuts down.
            let fifo = Fifo::new(name);
            let read = read(&rt, fifo.0.clone());
            let mut writer = fifo.writer_once_read();
            // The only worker is inside the file read now, or about to be
            // (a handle's open returns once the writer opened, then its
            // read starts), and stays there until the writer writes and
            // closes. The supervisor looks only while work waits: keep some
            // queued until it counts the worker as blocked.
            let mut waiting = Vec::new();
            wait_until("the worker in the file read counts as blocked", || {
                waiting.push(rt.run(|| ()));
                h.blocked_thread_count() == 1
            });
            let queued: Vec<Task<usize>> = (0..10).map(|i| rt.run(move || i * 2)).collect();
            for (i, t) in queued.iter().enumerate() {
                assert!(
                    t.wait_timeout(DEADLINE),
                    "work queued behind the blocked file read never ran"
                );
                assert_eq!(t.result().unwrap(), i * 2);
            }
            assert!(
                !read.is_completed(),
                "the read ended before its writer wrote"
            );
            assert_eq!(
                h.blocked_thread_count(),
                1,
                "the worker in the file read is counted as blocked"
            );
            assert!(h.thread_count() >= 2, "a thread was added beside it");

            writer.write_all(b"from the writer").unwrap();
            drop(writer);
            assert!(read.wait_timeout(DEADLINE), "the read never completed");
            assert_eq!(read.into_result().unwrap().unwrap(), b"from the writer");
            for t in waiting {
                assert!(t.wait_timeout(DEADLINE), "queued work never ran");
            }
            wait_until("the file read no longer counts as blocked", || {
                h.blocked_thread_count() == 0
            });
            let id = h.pool_id();
            let unannounced: Vec<StarvationEvent> = EVENTS
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.pool_id == id && e.kind == StarvationKind::BlockedInPoll)
                .cloned()
                .collect();
            assert!(
                unannounced.is_empty(),
                "the file read was found as blocking nobody announced: {unannounced:?}"
            );
            drop(fifo);
        });
    }
}

mod poll_traits {
    //! `File` through futures-io's poll-based traits: write-behind whose
    //! error the flush reports, operations that wait for the one in
    //! flight, and dropped futures that lose nothing. (Read-ahead and the
    //! caller's position, which need a read held back on the pool, are unit
    //! tests in `src/fs/inflight.rs`.)

    use super::temp;
    use std::future::{Future, poll_fn};
    use std::io::ErrorKind;
    use std::pin::{Pin, pin};
    use std::task::{Context, Poll, Waker};
    use tasklane::fs::{self, File};
    use tasklane::io::{AsyncRead, AsyncSeek, AsyncWrite};

    async fn read(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *f).poll_read(cx, buf)).await
    }

    async fn flush(f: &mut File) -> std::io::Result<()> {
        poll_fn(|cx| Pin::new(&mut *f).poll_flush(cx)).await
    }

    /// Writes 0..=255 repeated, `len` bytes.
    async fn pattern_file(name: &str, len: usize) -> std::path::PathBuf {
        let path = temp(name);
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        fs::write(&path, &data).await.unwrap();
        path
    }

    #[test]
    fn a_dropped_read_future_loses_nothing() {
        tasklane::block_on(async {
            let path = pattern_file("dropped", 100).await;
            let mut f = File::open(&path).await.unwrap();
            // Poll a read once and drop it: it is usually still on the pool
            // then (its bytes must come to the next read), or done already
            // (its bytes were delivered).
            let delivered = {
                let mut buf = [0u8; 8];
                let mut fut = pin!(f.read(&mut buf));
                let mut cx = Context::from_waker(Waker::noop());
                match fut.as_mut().poll(&mut cx) {
                    Poll::Pending => 0,
                    Poll::Ready(n) => n.unwrap() as u8,
                }
            };
            let mut buf = [0u8; 8];
            assert_eq!(f.read(&mut buf).await.unwrap(), 8);
            let expected: Vec<u8> = (delivered..delivered + 8).collect();
            assert_eq!(&buf[..], &expected[..]);
            fs::remove_file(&path).await.unwrap();
        });
    }

    #[test]
    fn a_failed_write_behind_is_reported_by_the_flush() {
        tasklane::block_on(async {
            let path = pattern_file("readonly", 10).await;
            let mut f = File::open(&path).await.unwrap();
            // Taken at once: the write runs on the pool...
            let n = poll_fn(|cx| Pin::new(&mut f).poll_write(cx, b"nope"))
                .await
                .unwrap();
            assert_eq!(n, 4);
            // ...and fails there (the file is read-only): the flush says so.
            let err = flush(&mut f).await.unwrap_err();
            assert_ne!(err.kind(), ErrorKind::Other, "{err}");
            // Reported once; the file goes on working.
            flush(&mut f).await.unwrap();
            let mut buf = [0u8; 3];
            assert_eq!(read(&mut f, &mut buf).await.unwrap(), 3);
            // The async fn reports its own write's error.
            assert!(f.write(b"no").await.is_err());
            fs::remove_file(&path).await.unwrap();
        });
    }

    #[test]
    fn the_file_is_send_sync_and_unpin() {
        fn check<T: AsyncRead + AsyncWrite + AsyncSeek + Send + Sync + Unpin>() {}
        check::<File>();
    }

    #[test]
    fn metadata_and_set_len_wait_for_the_write_in_flight() {
        tasklane::block_on(async {
            let path = temp("set_len");
            let mut f = File::create(&path).await.unwrap();
            poll_fn(|cx| Pin::new(&mut f).poll_write(cx, &[1u8; 5000]))
                .await
                .unwrap();
            assert_eq!(f.metadata().await.unwrap().len(), 5000);
            f.set_len(10).await.unwrap();
            f.sync_all().await.unwrap();
            assert_eq!(f.metadata().await.unwrap().len(), 10);
            drop(f);
            fs::remove_file(&path).await.unwrap();
        });
    }
}
