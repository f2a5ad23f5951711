//! Awaiting a `Task<T>` whose `T` is not `Clone`: spawn, then await the
//! handle you got. By value moves the output out; `&task` shares a clone;
//! the rules for the shared case hold as the `Task` docs state them.

use std::io;
use std::net::{TcpListener, TcpStream};
use tasklane::task::InvalidOperationError;
use tasklane::{Task, TaskCompletionSource, TaskStatus, block_on};

/// A value that is not `Clone`: it owns a socket.
#[derive(Debug)]
struct Connection {
    stream: TcpStream,
}

fn connect() -> io::Result<(TcpListener, Connection)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let stream = TcpStream::connect(listener.local_addr()?)?;
    Ok((listener, Connection { stream }))
}

fn invalid(e: &tasklane::TaskError) -> Option<&InvalidOperationError> {
    e.downcast_ref::<InvalidOperationError>()
}

#[test]
fn an_io_result_and_a_socket_are_awaited_by_value() {
    let read = Task::run_async(async { std::fs::read("/definitely/not/here") });
    let conn = Task::run_async(async { connect() });
    let (r, c) = block_on(async move { (read.await.unwrap(), conn.await.unwrap()) });
    assert_eq!(r.unwrap_err().kind(), io::ErrorKind::NotFound);
    let (_listener, c) = c.unwrap();
    assert!(c.stream.peer_addr().is_ok());
}

#[test]
fn a_fallible_body_with_a_non_clone_output_moves_it_and_still_shares_failures() {
    let t = Task::try_run_async(async { connect().map(|(_, c)| c) });
    let c = block_on(t).unwrap();
    assert!(c.stream.local_addr().is_ok());

    let failed: Task<Connection> = Task::try_run(|| Err(io::Error::other("refused")));
    let other = failed.clone();
    // A failure is cloned to every handle, whoever else holds the task.
    let err = block_on(failed).unwrap_err();
    assert_eq!(err.to_string(), "refused");
    assert_eq!(other.wait().unwrap_err().first().to_string(), "refused");
}

#[test]
fn awaiting_by_value_while_another_handle_exists_leaves_the_output_for_it() {
    let t = Task::run(|| vec![1u8, 2, 3]);
    let kept = t.clone();
    let err = block_on(t).unwrap_err();
    assert_eq!(invalid(&err), Some(&InvalidOperationError::OutputShared));
    // The other handle still has it, and as the last handle may move it.
    assert_eq!(kept.result().unwrap(), vec![1, 2, 3]);
    assert_eq!(block_on(kept).unwrap(), vec![1, 2, 3]);
}

#[test]
fn after_a_move_every_read_says_the_output_was_taken() {
    let tcs = TaskCompletionSource::<String>::new();
    let t = tcs.task();
    tcs.set_result("moved".to_owned()).unwrap();
    // A live TaskCompletionSource does not count as another reader.
    let v = block_on(t).unwrap();
    assert_eq!(v, "moved");
    let late = tcs.task();
    assert_eq!(late.status(), TaskStatus::RanToCompletion);
    // Waiting still succeeds: it ran to completion.
    late.wait().unwrap();
    let err = late.result().unwrap_err();
    assert_eq!(
        invalid(err.first()),
        Some(&InvalidOperationError::OutputTaken)
    );
    let err = block_on(&late).unwrap_err();
    assert_eq!(invalid(&err), Some(&InvalidOperationError::OutputTaken));
    assert!(
        InvalidOperationError::OutputTaken
            .to_string()
            .contains("already moved out")
    );
}

#[test]
fn many_awaiters_of_one_task_await_a_reference() {
    let gate = TaskCompletionSource::<u64>::new();
    let source = gate.task();
    let awaiters: Vec<Task<u64>> = (0..8)
        .map(|i| {
            let t = source.clone();
            Task::run_async(async move { (&t).await.unwrap() * i })
        })
        .collect();
    gate.set_result(3).unwrap();
    let total: u64 = awaiters.iter().map(|a| a.result().unwrap()).sum();
    assert_eq!(total, 3 * (0..8).sum::<u64>());
    // Every clone awaited `&t`: the output is still there.
    assert_eq!(source.result().unwrap(), 3);
}
