//! Tokio interop (feature `tokio-io`): tasklane's TCP types work with code
//! written against Tokio's `AsyncRead`/`AsyncWrite` (here Tokio's own
//! extension methods), reads filling `ReadBuf` without zeroing it first.

mod common;

use common::{runtime, with_deadline};
use tasklane::Task;
use tasklane::net::{TcpListener, TcpStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn tokio_extension_methods_work_on_tasklane_streams() {
    with_deadline("tokio io", || {
        runtime().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Task::run_async(async move {
                let (conn, _) = listener.accept().await.unwrap();
                let (mut r, mut w) = conn.into_split();
                let mut buf = Vec::new();
                AsyncReadExt::read_to_end(&mut r, &mut buf).await.unwrap();
                AsyncWriteExt::write_all(&mut w, &buf).await.unwrap();
                AsyncWriteExt::shutdown(&mut w).await.unwrap();
            });
            let mut client = TcpStream::connect(addr).await.unwrap();
            let data = vec![9u8; 100_000];
            AsyncWriteExt::write_all(&mut client, &data).await.unwrap();
            AsyncWriteExt::shutdown(&mut client).await.unwrap();
            let mut back = Vec::with_capacity(100_000);
            AsyncReadExt::read_to_end(&mut client, &mut back)
                .await
                .unwrap();
            assert_eq!(back, data);
            server.await.unwrap();
        });
    });
}
