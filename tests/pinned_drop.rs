//! A task's future is pinned in its cell from the first poll and dropped
//! where it lies — never moved out first — whether it completes, panics,
//! or is dropped pending at shutdown. Futures that register themselves by
//! address (a Tokio timer in its intrusive wheel, a waiter in an intrusive
//! queue) depend on it: `Pin`'s drop guarantee.

mod common;

use common::with_deadline;
use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tasklane::{Runtime, Task};

/// Remembers its address at the first poll; its destructor counts a drop
/// at that address (`same`) or elsewhere (`moved`).
struct AddressCheck {
    at: usize,
    ready: bool,
    panic: bool,
    same: Arc<AtomicUsize>,
    moved: Arc<AtomicUsize>,
    _pinned: PhantomPinned,
}

impl Future for AddressCheck {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        // SAFETY: nothing is moved out; `at` is a plain field.
        let this = unsafe { self.get_unchecked_mut() };
        this.at = this as *const AddressCheck as usize;
        if this.panic {
            panic!("the body panics after its first poll pinned it");
        }
        if this.ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for AddressCheck {
    fn drop(&mut self) {
        if self.at == 0 {
            return;
        }
        if self.at == self as *const AddressCheck as usize {
            self.same.fetch_add(1, Ordering::SeqCst);
        } else {
            self.moved.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn a_pinned_future_is_dropped_where_it_was_polled() {
    with_deadline("drop in place", || {
        let same = Arc::new(AtomicUsize::new(0));
        let moved = Arc::new(AtomicUsize::new(0));
        let check = |ready, panic| AddressCheck {
            at: 0,
            ready,
            panic,
            same: same.clone(),
            moved: moved.clone(),
            _pinned: PhantomPinned,
        };
        let rt = Runtime::builder().worker_threads(2).build().unwrap();
        // Completes at once; panics; stays pending until the shutdown.
        rt.run_async(check(true, false)).wait().unwrap();
        assert!(rt.run_async(check(false, true)).wait().is_err());
        let pending: Vec<Task<()>> = (0..10).map(|_| rt.run_async(check(false, false))).collect();
        std::thread::sleep(Duration::from_millis(20));
        assert!(rt.shutdown_timeout(Duration::from_secs(30)));
        drop(pending);
        assert_eq!(
            moved.load(Ordering::SeqCst),
            0,
            "a future was moved before its drop"
        );
        assert_eq!(same.load(Ordering::SeqCst), 12);
    });
}
