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
