//! An unobserved-fault report can be marked observed, as
//! `UnobservedTaskExceptionEventArgs.SetObserved()`; under
//! `UnobservedFaultPolicy::Escalate` (.NET's `ThrowUnobservedTaskExceptions`)
//! a report nobody marked goes on to the unhandled-error path.
//!
//! One test in this binary: it owns the process-wide handlers.

use std::sync::{Arc, Mutex};
use tasklane::diag::{ErrorOrigin, UnobservedFaultPolicy};
use tasklane::{Task, TaskCompletionSource};

#[derive(Debug)]
struct E;
impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("E")
    }
}
impl std::error::Error for E {}

#[test]
fn a_report_marked_observed_is_not_escalated_and_the_others_are() {
    let handled_id = Arc::new(Mutex::new(0u64));
    let reported = Arc::new(Mutex::new(Vec::new()));
    let escalated = Arc::new(Mutex::new(Vec::new()));
    let (h, r) = (handled_id.clone(), reported.clone());
    let previous_unobserved =
        tasklane::diag::set_unobserved_fault_handler(Some(Arc::new(move |f| {
            if f.task_id == *h.lock().unwrap() {
                f.set_observed();
            }
            r.lock().unwrap().push((f.task_id, f.observed()));
        })));
    let e = escalated.clone();
    let previous_unhandled =
        tasklane::diag::set_unhandled_error_handler(Some(Arc::new(move |u| {
            e.lock().unwrap().push((u.origin, u.task_id));
        })));
    let previous_policy =
        tasklane::diag::set_unobserved_fault_policy(UnobservedFaultPolicy::Escalate);
    assert_eq!(previous_policy, UnobservedFaultPolicy::Report);

    let (a, b) = (
        TaskCompletionSource::<u8>::new(),
        TaskCompletionSource::<u8>::new(),
    );
    let (ta, tb): (Task<u8>, Task<u8>) = (a.task(), b.task());
    let (ida, idb) = (ta.id(), tb.id());
    *handled_id.lock().unwrap() = ida;
    drop((ta, tb));
    a.set_error(E).unwrap();
    b.set_error(E).unwrap();
    drop((a, b));

    assert_eq!(*reported.lock().unwrap(), vec![(ida, true), (idb, false)]);
    assert_eq!(
        *escalated.lock().unwrap(),
        vec![(ErrorOrigin::UnobservedFault, Some(idb))]
    );
    tasklane::diag::set_unobserved_fault_policy(UnobservedFaultPolicy::Report);
    tasklane::diag::set_unobserved_fault_handler(previous_unobserved);
    tasklane::diag::set_unhandled_error_handler(previous_unhandled);
}
