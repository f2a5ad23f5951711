//! The first of two futures: the host waits for a signal *or* a token, a
//! stop *or* a second signal.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

/// Which of the two finished first.
pub(crate) enum First<A, B> {
    Left(A),
    Right(B),
}

/// Polls both, left first; ends with the first to finish (the other is
/// dropped).
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> First<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(First::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(First::Right(v));
        }
        Poll::Pending
    })
    .await
}
