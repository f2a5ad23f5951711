//! Sockets and their runtime: a socket outliving its runtime reports a
//! typed error instead of hanging.

mod common;

use common::with_deadline;
use tasklane::Runtime;
use tasklane::net::TcpListener;

#[test]
fn a_socket_whose_runtime_shut_down_errors_instead_of_hanging() {
    with_deadline("runtime gone", || {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        let listener = rt.block_on(async { TcpListener::bind("127.0.0.1:0").unwrap() });
        drop(rt);
        let err = tasklane::block_on(listener.accept()).unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
    });
}
