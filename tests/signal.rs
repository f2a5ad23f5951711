//! Signals as futures: a raised SIGINT completes `ctrl_c()`, SIGTERM
//! completes `terminate()` (and not the other way round), a future made
//! before a delivery counts it even if first polled after it, and one made
//! after a delivery waits for the next.

mod common;

use common::with_deadline;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;
use tasklane::signal::{self, SignalKind};

fn raise(sig: libc::c_int) {
    // SAFETY: sending a signal to our own process; the handler is installed.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig) }, 0);
}

/// Polls `f` once with the task's own waker: true if it is still waiting.
async fn still_waiting<F: Future<Output = std::io::Result<()>>>(mut f: Pin<&mut F>) -> bool {
    std::future::poll_fn(|cx| match f.as_mut().poll(cx) {
        Poll::Pending => Poll::Ready(true),
        Poll::Ready(r) => {
            r.unwrap();
            Poll::Ready(false)
        }
    })
    .await
}

#[test]
fn ctrl_c_and_terminate_complete_on_their_signal() {
    with_deadline("signals", || {
        tasklane::block_on(async {
            let ctrl_c = signal::ctrl_c();
            assert_eq!(ctrl_c.kind(), Some(SignalKind::Interrupt));
            let mut term = pin!(signal::terminate());
            // Raised before the first poll: the call, not the poll,
            // started the wait.
            raise(libc::SIGINT);
            ctrl_c.await.unwrap();
            // A SIGINT is not a SIGTERM.
            assert!(
                still_waiting(term.as_mut()).await,
                "terminate() completed on a SIGINT"
            );
            raise(libc::SIGTERM);
            term.await.unwrap();

            // Only deliveries after the call count: SIGINT was delivered
            // (and seen) above, yet a listener made now still waits...
            let mut again = pin!(signal::ctrl_c());
            assert!(
                still_waiting(again.as_mut()).await,
                "ctrl_c() made after a SIGINT completed on that past SIGINT"
            );
            // ...also once the reactor has had time to pass on anything
            // still in flight (the pipe's bytes from the earlier signals)...
            tasklane::time::delay(Duration::from_millis(50)).await;
            assert!(
                still_waiting(again.as_mut()).await,
                "ctrl_c() made after a SIGINT completed on that past SIGINT"
            );
            // ...and completes on the next one.
            let raiser = std::thread::spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                raise(libc::SIGINT);
            });
            again.await.unwrap();
            raiser.join().unwrap();
        });
    });
}
