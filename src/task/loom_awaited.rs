//! Loom test of listing an awaited promise (`awaited.rs`): an awaiter
//! lists the promise while another thread completes it; whatever the
//! interleaving, the promise leaves the list and its ref goes with it.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test --lib --release task::loom_awaited`

use super::TaskCompletionSource;
use super::continuation::{Continuation, Registered};
use loom::sync::Arc;

#[test]
fn a_promise_listed_while_it_completes_always_leaves_the_list() {
    loom::model(|| {
        let tcs = Arc::new(TaskCompletionSource::<u32>::new());
        let task = tcs.task();
        let completer = {
            let tcs = tcs.clone();
            loom::thread::spawn(move || {
                tcs.set_result(7).unwrap();
            })
        };
        // The awaiter: its waker stored, then the listing.
        let raw = task.raw();
        match super::handle::register(raw, Continuation::Waker(futures_noop_waker())) {
            Registered::Stored(_) => super::awaited::list_if_promise(raw),
            Registered::MustDrain => super::run_continuations::run_continuations(raw),
            Registered::Completed(_) => {}
        }
        completer.join().unwrap();
        assert_eq!(super::awaited::registry().len(), 0);
        assert_eq!(task.try_result().unwrap().unwrap(), 7);
    });
}

fn futures_noop_waker() -> std::task::Waker {
    std::task::Waker::noop().clone()
}

/// A dump walks a registry one task per hold of the lock while another
/// thread removes tasks, the walk's cursor among them: no task is given
/// twice, and every task that stays listed is given.
#[test]
fn a_registry_walk_loses_no_task_when_its_cursor_leaves() {
    loom::model(|| {
        let registry = Arc::new(super::registry::Registry::new(1));
        let promises: Vec<_> = (0..3).map(|_| TaskCompletionSource::<u32>::new()).collect();
        let raws: Vec<_> = promises.iter().map(|p| p.task().raw()).collect();
        for &raw in &raws {
            std::mem::forget(super::raw::TaskRef::new_ref(raw));
            assert!(registry.insert(raw));
        }
        // Listed head first: raws[2], raws[1], raws[0]. The walk's cursor
        // is raws[2] after its first step, raws[1] after its second.
        let remover = {
            let registry = registry.clone();
            let (a, b) = (raws[2], raws[1]);
            loom::thread::spawn(move || {
                drop(registry.remove(a));
                drop(registry.remove(b));
            })
        };
        let mut out = Vec::new();
        registry.snapshot_in_batches(&mut out, &mut Vec::new(), 1);
        remover.join().unwrap();
        let given: Vec<usize> = out
            .iter()
            .map(|t| t.raw().header_ptr().as_ptr() as usize)
            .collect();
        let mut unique = given.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), given.len(), "a task given twice");
        let stayed = raws[0].header_ptr().as_ptr() as usize;
        assert!(given.contains(&stayed), "the task that stayed was missed");
        drop(out);
        drop(registry.remove(raws[0]));
    });
}
