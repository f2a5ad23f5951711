//! `when_all` / `when_any` and `wait_all` / `wait_any` as .NET's
//! `Task.WhenAll`, `WhenAny`, `WaitAll` and `WaitAny` behave, and
//! `yield_now`.

use std::time::Duration;
use tasklane::task::InvalidOperationError;
use tasklane::{
    CancellationTokenSource, Task, TaskCompletionSource, TaskError, TaskStatus, block_on, yield_now,
};

#[derive(Debug)]
struct E(u8);
impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "E{}", self.0)
    }
}
impl std::error::Error for E {}

#[test]
fn when_all_keeps_input_order() {
    // Later inputs finish first.
    let tasks: Vec<Task<u64>> = (0..20u64)
        .map(|i| {
            Task::run(move || {
                std::thread::sleep(Duration::from_millis(20 - i));
                i
            })
        })
        .collect();
    assert_eq!(
        Task::when_all(tasks).result().unwrap(),
        (0..20).collect::<Vec<_>>()
    );
}

#[test]
fn when_all_faults_with_every_error_in_input_order() {
    let tasks = vec![
        Task::from_result(0),
        Task::from_error(E(1)),
        Task::from_canceled(),
        Task::<u8>::from_error(E(3)),
    ];
    let all = Task::when_all(tasks);
    let agg = all.wait().unwrap_err();
    assert!(all.is_faulted(), "faulted wins over canceled");
    let names: Vec<String> = agg.iter().map(ToString::to_string).collect();
    assert_eq!(names, ["E1", "E3"]);
}

#[test]
fn when_all_is_canceled_if_any_was_and_none_faulted() {
    let all = Task::when_all(vec![Task::from_result(1u8), Task::from_canceled()]);
    all.wait().unwrap_err();
    assert!(all.is_canceled());
}

#[test]
fn when_all_of_nothing_completes_at_once() {
    let all = Task::<u8>::when_all(Vec::new());
    assert_eq!(all.status(), TaskStatus::RanToCompletion);
    assert!(all.result().unwrap().is_empty());
}

#[test]
fn when_all_waits_for_the_last() {
    let tcs: Vec<TaskCompletionSource<usize>> =
        (0..100).map(|_| TaskCompletionSource::new()).collect();
    let all = Task::when_all(tcs.iter().map(|t| t.task()));
    for (i, t) in tcs.iter().enumerate().rev() {
        assert!(!all.is_completed());
        t.set_result(i).unwrap();
    }
    assert_eq!(all.result().unwrap(), (0..100).collect::<Vec<_>>());
}

#[test]
fn when_all_over_many_tasks() {
    let tasks: Vec<Task<usize>> = (0..10_000).map(|i| Task::run(move || i)).collect();
    let v = block_on(Task::when_all(tasks)).unwrap();
    assert_eq!(v.len(), 10_000);
    assert!(v.iter().enumerate().all(|(i, x)| i == *x));
}

#[test]
fn when_any_completes_with_the_first_task_itself() {
    let slow = TaskCompletionSource::<u8>::new();
    let fast = TaskCompletionSource::<u8>::new();
    let any = Task::when_any(vec![slow.task(), fast.task()]);
    assert!(!any.is_completed());
    fast.set_error(E(9)).unwrap();
    let first = any.result().unwrap();
    assert_eq!(first, fast.task(), "the task itself");
    assert!(
        any.is_completed_successfully(),
        "never faults because an input did"
    );
    assert!(first.is_faulted());
    slow.set_result(1).unwrap();
}

#[test]
fn when_any_with_a_completed_input_is_complete_at_once() {
    let pending = TaskCompletionSource::<u8>::new();
    let any = Task::when_any(vec![pending.task(), Task::from_result(3)]);
    assert!(any.is_completed());
    assert_eq!(any.result().unwrap().result().unwrap(), 3);
    pending.set_result(0).unwrap();
}

#[test]
fn when_any_of_nothing_is_a_typed_error() {
    let any = Task::<u8>::when_any(Vec::new());
    let e = any.wait().unwrap_err();
    assert_eq!(
        e.first().downcast_ref::<InvalidOperationError>(),
        Some(&InvalidOperationError::NoTasks("when_any"))
    );
}

#[test]
fn yield_now_lets_other_work_run() {
    let t = Task::run_async(async {
        let mut n = 0;
        for _ in 0..100 {
            yield_now().await;
            n += 1;
        }
        n
    });
    assert_eq!(t.result().unwrap(), 100);
    // Outside any task it still suspends once and completes.
    block_on(yield_now());
}

#[test]
fn await_many_in_order() {
    let v = block_on(async {
        let tasks: Vec<Task<u32>> = (0..1000)
            .map(|i| Task::run_async(async move { i }))
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await?;
        }
        Ok::<u32, TaskError>(sum)
    })
    .unwrap();
    assert_eq!(v, (0..1000).sum());
}

#[test]
fn when_all_completes_inside_the_last_inputs_completion() {
    let (a, b) = (
        TaskCompletionSource::<u8>::new(),
        TaskCompletionSource::<u8>::new(),
    );
    let all = Task::when_all(vec![a.task(), b.task()]);
    assert_eq!(all.status(), TaskStatus::WaitingForActivation);
    b.set_result(2).unwrap();
    assert!(!all.is_completed());
    a.set_result(1).unwrap();
    // Final the moment the last input's completion returned: no hop.
    assert_eq!(all.status(), TaskStatus::RanToCompletion);
    assert_eq!(all.try_result().unwrap().unwrap(), vec![1, 2]);
}

#[test]
fn combinators_over_completed_inputs_return_completed_tasks() {
    let all = Task::when_all(vec![Task::from_result(1), Task::from_result(2)]);
    assert_eq!(all.try_result().unwrap().unwrap(), vec![1, 2]);
    let failed = Task::when_all(vec![Task::from_result(1), Task::from_error(E(3))]);
    assert!(failed.is_faulted());
    let pending = TaskCompletionSource::<u8>::new();
    let first_done = Task::from_result(5);
    let any = Task::when_any(vec![
        pending.task(),
        first_done.clone(),
        Task::from_result(6),
    ]);
    // The first complete input in argument order.
    assert_eq!(any.try_result().unwrap().unwrap(), first_done);
}

#[test]
fn when_any_returns_the_first_input_to_complete_not_the_first_in_order() {
    let (a, b) = (
        TaskCompletionSource::<u8>::new(),
        TaskCompletionSource::<u8>::new(),
    );
    let (ta, tb) = (a.task(), b.task());
    let any = Task::when_any(vec![ta.clone(), tb.clone()]);
    b.set_result(2).unwrap();
    a.set_result(1).unwrap();
    let winner = any.result().unwrap();
    assert_eq!(winner, tb);
    assert_ne!(winner, ta);
}

#[test]
fn when_any_ran_to_completion_even_when_the_winner_faulted_or_was_canceled() {
    for winner in [Task::<u8>::from_error(E(1)), Task::from_canceled()] {
        let pending = TaskCompletionSource::<u8>::new();
        let any = Task::when_any(vec![pending.task(), winner.clone()]);
        assert_eq!(any.status(), TaskStatus::RanToCompletion);
        assert_eq!(any.result().unwrap(), winner);
    }
    let (a, b) = (
        TaskCompletionSource::<u8>::new(),
        TaskCompletionSource::<u8>::new(),
    );
    let any = Task::when_any(vec![a.task(), b.task()]);
    a.set_error(E(9)).unwrap();
    assert_eq!(any.status(), TaskStatus::RanToCompletion);
    assert!(any.result().unwrap().is_faulted());
    b.set_result(1).unwrap();
}

#[test]
fn wait_all_reports_every_failure_in_argument_order() {
    let tasks = vec![
        Task::<u8>::from_error(E(1)),
        Task::from_result(2),
        Task::from_canceled(),
        Task::try_run(|| -> Result<u8, E> { Err(E(4)) }),
    ];
    let err = Task::wait_all(&tasks).unwrap_err();
    let kinds: Vec<String> = err
        .iter()
        .map(|e| match e.downcast_ref::<E>() {
            Some(E(n)) => format!("E{n}"),
            None if e.is_canceled() => "canceled".to_owned(),
            None => e.to_string(),
        })
        .collect();
    assert_eq!(kinds, ["E1", "canceled", "E4"]);
    Task::wait_all(&[Task::from_result(1), Task::run(|| 2)]).unwrap();
    Task::<u8>::wait_all(&[]).unwrap();
}

#[test]
fn wait_all_gives_up_after_a_timeout_or_for_a_token() {
    let pending = TaskCompletionSource::<u8>::new();
    let tasks = vec![Task::from_result(1), pending.task()];
    assert!(!Task::wait_all_timeout(&tasks, Duration::from_millis(20)).unwrap());
    let cts = CancellationTokenSource::new();
    let canceller = {
        let cts = std::sync::Arc::new(cts);
        let c = cts.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            c.cancel().unwrap();
        });
        cts
    };
    let err = Task::wait_all_with_token(&tasks, &canceller.token()).unwrap_err();
    assert!(err.is_canceled());
    pending.set_result(2).unwrap();
    assert!(Task::wait_all_timeout(&tasks, Duration::from_secs(60)).unwrap());
}

#[test]
fn wait_any_gives_the_index_of_the_first_to_complete() {
    let (a, b) = (
        TaskCompletionSource::<u8>::new(),
        TaskCompletionSource::<u8>::new(),
    );
    let tasks = vec![a.task(), b.task()];
    assert_eq!(
        Task::wait_any_timeout(&tasks, Duration::from_millis(20)).unwrap(),
        None,
        "None on timeout (C#: -1)"
    );
    let setter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        b.set_error(E(2)).unwrap();
    });
    // A faulted winner is a winner; its failure is not reported here.
    assert_eq!(Task::wait_any(&tasks).unwrap(), 1);
    setter.join().unwrap();
    let cts = CancellationTokenSource::new();
    cts.cancel().unwrap();
    let still = vec![a.task()];
    assert!(
        Task::wait_any_with_token(&still, &cts.token())
            .unwrap_err()
            .is_canceled()
    );
    let err = Task::<u8>::wait_any(&[]).unwrap_err();
    assert_eq!(
        err.first().downcast_ref::<InvalidOperationError>(),
        Some(&InvalidOperationError::NoTasks("wait_any"))
    );
    a.set_result(1).unwrap();
}
