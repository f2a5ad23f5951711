//! Blocking waits on a task (`wait`, `result`, `wait_timeout`): park the
//! thread on a waker registered as a continuation.

use super::block_on::ThreadWaker;
use crate::task::continuation::{Continuation, Registered};
use crate::task::raw::RawTask;
use std::task::Waker;
use std::time::Instant;

/// Blocks until the task completes or `deadline` passes; true if complete.
pub(crate) fn wait_for(raw: RawTask, deadline: Option<Instant>) -> bool {
    let header = raw.header();
    if header.state.load().is_complete() {
        return true;
    }
    let thread_waker = ThreadWaker::new();
    let waker = Waker::from(thread_waker.clone());
    let key = match crate::task::handle_register(raw, Continuation::Waker(waker)) {
        Registered::Stored(k) => k,
        Registered::MustDrain => {
            crate::task::cell::run_continuations(raw);
            return true;
        }
        Registered::Completed(_) => return true,
    };
    loop {
        if header.state.load().is_complete() {
            return true;
        }
        match deadline {
            None => {
                while !thread_waker.take_notified() {
                    std::thread::park();
                }
            }
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    drop(header.continuations.remove(key));
                    return header.state.load().is_complete();
                }
                std::thread::park_timeout(d - now);
                thread_waker.take_notified();
            }
        }
    }
}
