//! `#[tasklane::main]` and `#[tasklane::test]` turn async functions into
//! plain ones that run on tasklane.

use tasklane::{Task, TaskCompletionSource};

#[tasklane::test]
async fn async_test_bodies_run_to_completion() {
    let v = Task::run(|| 20).await.unwrap();
    assert_eq!(v + 1, 21);
}

#[tasklane::test]
async fn async_tests_can_await_promises() {
    let tcs = TaskCompletionSource::<u8>::new();
    let t = tcs.task();
    std::thread::spawn(move || tcs.set_result(3).unwrap());
    assert_eq!(t.await.unwrap(), 3);
}

#[tasklane::test]
#[should_panic(expected = "failing body")]
async fn a_panicking_async_test_fails() {
    tasklane::yield_now().await;
    panic!("failing body");
}

mod as_main {
    #[tasklane::main]
    pub async fn main() -> u32 {
        tasklane::Task::run(|| 7).await.unwrap()
    }
}

#[test]
fn main_attribute_blocks_on_the_body() {
    assert_eq!(as_main::main(), 7);
}
