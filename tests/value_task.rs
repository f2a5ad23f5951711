//! `ValueTask<T>` and `ManualResetValueTaskSource<T>`: results awaited with
//! no allocation, a source completed many times with no allocation, and
//! misuse (a consumed or stale `ValueTask` awaited) reported as a typed error.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tasklane::{
    InvalidOperationError, ManualResetValueTaskSource, Task, TaskError, ValueTask, block_on,
};

/// Counts allocations per thread, so tests running in parallel (and pool
/// threads) do not disturb each other's counts.
struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is a const-initialized thread-local without a destructor, so
// touching it never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations() -> u64 {
    ALLOCS.with(|c| c.get())
}

/// Polls `fut` once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    std::pin::Pin::new(fut).poll(&mut cx)
}

fn invalid_operation(e: &TaskError) -> &InvalidOperationError {
    e.downcast_ref::<InvalidOperationError>()
        .unwrap_or_else(|| panic!("expected an InvalidOperationError, got {e:?}"))
}

#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    let boxed = std::hint::black_box(Box::new(7_u64));
    assert_eq!(allocations() - before, 1);
    drop(boxed);
}

#[test]
fn awaiting_a_ready_value_task_allocates_nothing() {
    let before = allocations();
    let mut vt = ValueTask::from_result(41_u64);
    assert!(vt.is_completed() && vt.is_completed_successfully());
    assert!(matches!(poll_once(&mut vt), Poll::Ready(Ok(41))));

    // Awaited inside an async fn body, polled on this thread.
    let mut outer = pin!(async {
        let a = ValueTask::from_result(1_u64).await.unwrap();
        let b = ValueTask::from_result(2_u64).await.unwrap();
        a + b
    });
    let mut cx = Context::from_waker(Waker::noop());
    assert_eq!(outer.as_mut().poll(&mut cx), Poll::Ready(3));
    assert_eq!(allocations() - before, 0, "the ready path allocated");
}

#[test]
fn a_source_completes_many_operations_without_allocating() {
    let source = Arc::new(ManualResetValueTaskSource::<u64>::new());
    // Warm-up: first use of every path.
    source.reset();
    let mut vt = source.value_task();
    source.set_result(0).unwrap();
    assert!(matches!(poll_once(&mut vt), Poll::Ready(Ok(0))));

    let before = allocations();
    for i in 1..=1_000_u64 {
        let version = source.reset();
        assert_eq!(version, source.version());
        let mut vt = source.value_task();
        // Pending first (registers the waker), then completed.
        assert!(poll_once(&mut vt).is_pending());
        source.set_result(i).unwrap();
        assert!(vt.is_completed());
        assert!(matches!(poll_once(&mut vt), Poll::Ready(Ok(v)) if v == i));
    }
    assert_eq!(allocations() - before, 0, "a source operation allocated");
}

#[test]
fn awaiting_a_consumed_value_task_is_an_error() {
    let mut vt = ValueTask::from_result(String::from("once"));
    assert!(matches!(poll_once(&mut vt), Poll::Ready(Ok(ref s)) if s == "once"));
    assert!(vt.is_consumed());
    match poll_once(&mut vt) {
        Poll::Ready(Err(e)) => {
            assert_eq!(
                invalid_operation(&e),
                &InvalidOperationError::ValueTaskConsumed
            );
            assert!(
                e.to_string().contains("as_task"),
                "message says what to do: {e}"
            );
        }
        other => panic!("expected ValueTaskConsumed, got {other:?}"),
    }
}

#[test]
fn a_second_value_task_of_one_operation_reports_consumed() {
    let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
    let mut first = source.value_task();
    let mut second = source.value_task();
    source.set_result(5).unwrap();
    assert!(matches!(poll_once(&mut first), Poll::Ready(Ok(5))));
    match poll_once(&mut second) {
        Poll::Ready(Err(e)) => {
            assert_eq!(
                invalid_operation(&e),
                &InvalidOperationError::ValueTaskConsumed
            )
        }
        other => panic!("expected ValueTaskConsumed, got {other:?}"),
    }
}

#[test]
fn a_value_task_of_an_earlier_operation_is_stale() {
    let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
    let mut old = source.value_task();
    assert_eq!(source.reset(), 1);
    source.set_result(9).unwrap();
    match poll_once(&mut old) {
        Poll::Ready(Err(e)) => assert_eq!(
            invalid_operation(&e),
            &InvalidOperationError::StaleValueTask {
                awaited: 0,
                current: 1
            }
        ),
        other => panic!("expected StaleValueTask, got {other:?}"),
    }
    // The current operation's result is still there for its own ValueTask.
    assert_eq!(block_on(source.value_task()).unwrap(), 9);
}

#[test]
fn a_waiter_of_a_reset_operation_wakes_with_the_stale_error() {
    let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
    let waiter = {
        let vt = source.value_task();
        std::thread::spawn(move || block_on(vt))
    };
    // Let the waiter register, then move the source on.
    std::thread::sleep(Duration::from_millis(20));
    source.reset();
    let out = waiter.join().unwrap();
    let e = out.expect_err("a reset operation cannot produce a value");
    assert!(matches!(
        invalid_operation(&e),
        InvalidOperationError::StaleValueTask {
            awaited: 0,
            current: 1
        }
    ));
}

#[test]
fn completing_an_operation_twice_hands_the_value_back() {
    let source = ManualResetValueTaskSource::<String>::new();
    source.set_result("first".into()).unwrap();
    let err = source.set_result("second".into()).unwrap_err();
    assert_eq!(err.version(), 0);
    assert!(
        err.to_string().contains("reset()"),
        "message says what to do: {err}"
    );
    assert_eq!(err.into_value().as_deref(), Some("second"));
    assert!(source.set_canceled().is_err());
}

#[test]
fn a_source_completed_from_another_thread_wakes_the_awaiter() {
    let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
    for i in 0..50 {
        source.reset();
        let vt = source.value_task();
        let s = source.clone();
        let setter = std::thread::spawn(move || s.set_result(i).unwrap());
        assert_eq!(block_on(vt).unwrap(), i);
        setter.join().unwrap();
    }
}

#[test]
fn errors_and_cancellation_flow_through_a_source() {
    let source = Arc::new(ManualResetValueTaskSource::<u32>::new());
    source.set_canceled().unwrap();
    let vt = source.value_task();
    assert!(vt.is_completed() && !vt.is_completed_successfully());
    assert!(block_on(vt).unwrap_err().is_canceled());

    source.reset();
    source
        .set_error(TaskError::new(std::io::Error::other("disk on fire")))
        .unwrap();
    let e = block_on(source.value_task()).unwrap_err();
    assert_eq!(
        e.downcast_ref::<std::io::Error>().unwrap().to_string(),
        "disk on fire"
    );
}

#[test]
fn a_value_task_over_a_task_awaits_it() {
    let vt = ValueTask::from_task(Task::run(|| 6 * 7));
    assert_eq!(block_on(vt).unwrap(), 42);

    let failing: Task<u8> = Task::try_run(|| Err(std::io::Error::other("nope")));
    let e = block_on(ValueTask::from(failing)).unwrap_err();
    assert!(e.is_faulted());

    // A task other handles still share: the value is cloned, not taken.
    let shared = Task::run(|| vec![1, 2, 3]);
    assert_eq!(
        block_on(ValueTask::from_task(shared.clone())).unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(shared.result().unwrap(), vec![1, 2, 3]);
}

#[test]
fn as_task_gives_a_task_with_the_same_outcome() {
    let t = ValueTask::from_result(3_u8).as_task();
    assert_eq!(t.result().unwrap(), 3);
    assert_eq!(t.result().unwrap(), 3, "a task can be read many times");

    let t: Task<u8> = ValueTask::from_error(TaskError::canceled()).as_task();
    assert!(t.wait().is_err());
    assert!(t.is_canceled());

    let source = Arc::new(ManualResetValueTaskSource::<u8>::new());
    let t = source.value_task().as_task();
    source.set_result(8).unwrap();
    assert_eq!(t.result().unwrap(), 8);

    let mut consumed = ValueTask::from_result(1_u8);
    assert!(poll_once(&mut consumed).is_ready());
    let err = consumed.as_task().wait().unwrap_err();
    assert_eq!(
        err.first().downcast_ref::<InvalidOperationError>(),
        Some(&InvalidOperationError::ValueTaskConsumed)
    );
}
