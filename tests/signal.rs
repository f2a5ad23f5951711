//! Signals as futures: a raised SIGINT completes `ctrl_c()`, SIGTERM
//! completes `terminate()`, and only deliveries after the call count.

use std::time::Duration;
use tasklane::signal::{self, SignalKind};

fn raise(sig: libc::c_int) {
    // SAFETY: sending a signal to our own process; the handler is installed.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig) }, 0);
}

#[test]
fn ctrl_c_and_terminate_complete_on_their_signal() {
    let done = std::sync::mpsc::channel();
    let tx = done.0;
    std::thread::spawn(move || {
        tasklane::block_on(async {
            let ctrl_c = signal::ctrl_c();
            assert_eq!(ctrl_c.kind(), Some(SignalKind::Interrupt));
            let term = signal::terminate();
            raise(libc::SIGINT);
            ctrl_c.await.unwrap();
            raise(libc::SIGTERM);
            term.await.unwrap();
            // A new listener waits for the next delivery, not past ones.
            let again = signal::ctrl_c();
            let raiser = std::thread::spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                raise(libc::SIGINT);
            });
            again.await.unwrap();
            raiser.join().unwrap();
        });
        tx.send(()).unwrap();
    });
    done.1
        .recv_timeout(Duration::from_secs(60))
        .expect("signals were not delivered within 60 s");
}
