//! Files through the pool: whole-file helpers, `File` reads and writes, and
//! typed errors for missing files.

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
