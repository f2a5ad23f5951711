//! Task bodies end with the errors Rust programs actually have —
//! `Box<dyn Error + Send + Sync>`, `anyhow::Error`, `io::Error`, a user enum,
//! a string — and the original stays recoverable; an error that means
//! cancellation keeps meaning it when wrapped, as an
//! `OperationCanceledException` ends a C# async method Canceled.

use std::error::Error;
use std::fmt;
use std::io;
use tasklane::task::{BoxError, CANCELLATION_SOURCE_DEPTH, CanceledError, TaskError};
use tasklane::{AggregateError, CancellationTokenSource, Task, TaskCompletionSource, TaskStatus};

#[derive(Debug, PartialEq)]
struct ConfigMissing(&'static str);

impl fmt::Display for ConfigMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no config at {}", self.0)
    }
}

impl Error for ConfigMissing {}

#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error("loading {0} was stopped")]
    Stopped(&'static str, #[source] CanceledError),
    #[error("reading {0} failed")]
    Read(&'static str, #[source] io::Error),
    #[error("bad value {0}")]
    Bad(u32),
}

fn first_error<T>(t: &Task<T>) -> TaskError {
    t.wait().unwrap_err().first().clone()
}

#[test]
fn a_boxed_dyn_error_faults_the_task_and_downcasts_to_the_original() {
    let t = Task::<u32>::try_run(|| {
        let e: Box<dyn Error + Send + Sync> = Box::new(ConfigMissing("/etc/app"));
        Err(e)
    });
    let err = first_error(&t);
    assert_eq!(t.status(), TaskStatus::Faulted);
    assert_eq!(
        err.downcast_ref::<ConfigMissing>(),
        Some(&ConfigMissing("/etc/app"))
    );
    assert_eq!(err.to_string(), "no config at /etc/app");
}

#[test]
#[cfg(feature = "anyhow")]
fn an_anyhow_error_faults_the_task_and_keeps_what_it_was_made_from() {
    let t = Task::<u32>::try_run_async(async {
        Err(anyhow::Error::new(ConfigMissing("/srv")))?;
        Ok::<_, anyhow::Error>(1)
    });
    let err = first_error(&t);
    assert!(err.is_faulted());
    assert_eq!(
        err.downcast_ref::<ConfigMissing>(),
        Some(&ConfigMissing("/srv"))
    );

    // With context: the message is the context, the original is in the chain.
    let t = Task::<u32>::try_run(|| {
        use anyhow::Context;
        Err(io::Error::from(io::ErrorKind::PermissionDenied)).context("opening the log")
    });
    let err = first_error(&t);
    assert_eq!(err.to_string(), "opening the log");
    assert_eq!(
        err.find::<io::Error>().map(io::Error::kind),
        Some(io::ErrorKind::PermissionDenied)
    );

    // An anyhow message with no error type behind it keeps its text.
    let t = Task::<()>::try_run(|| Err(anyhow::anyhow!("disk {} is full", 3)));
    assert_eq!(first_error(&t).to_string(), "disk 3 is full");
}

#[test]
fn a_user_enum_an_io_error_and_strings_each_fault_the_task() {
    let t = Task::<()>::try_run(|| Err(LoadError::Bad(7)));
    assert!(matches!(
        first_error(&t).downcast_ref::<LoadError>(),
        Some(LoadError::Bad(7))
    ));

    let t = Task::<()>::try_run(|| Err(io::Error::other("wire cut")));
    assert_eq!(
        first_error(&t)
            .downcast_ref::<io::Error>()
            .unwrap()
            .to_string(),
        "wire cut"
    );

    let t = Task::<()>::try_run(|| Err("plain text"));
    assert_eq!(first_error(&t).to_string(), "plain text");
    let t = Task::<()>::try_run(|| Err(format!("formatted {}", 1)));
    assert_eq!(first_error(&t).to_string(), "formatted 1");
}

#[test]
fn a_promise_and_a_ready_task_take_the_same_errors() {
    let tcs = TaskCompletionSource::<u32>::new();
    tcs.set_error(anyhow::anyhow!("upstream said no")).unwrap();
    assert_eq!(first_error(&tcs.task()).to_string(), "upstream said no");

    let boxed: BoxError = Box::new(ConfigMissing("x"));
    let t = Task::<u32>::from_error(boxed);
    assert!(first_error(&t).downcast_ref::<ConfigMissing>().is_some());
}

#[test]
fn a_cancellation_wrapped_in_a_user_error_cancels_an_async_body() {
    let cts = CancellationTokenSource::new();
    let token = cts.token();
    cts.cancel().unwrap();
    let t = Task::<()>::try_run_async(async move {
        Err(LoadError::Stopped(
            "users.csv",
            CanceledError::with_token(token.clone()),
        ))
    });
    let err = first_error(&t);
    assert_eq!(t.status(), TaskStatus::Canceled);
    let c = err.as_canceled().expect("a cancellation");
    assert_eq!(c.token(), Some(&cts.token()));
    // The wrapper is not lost.
    assert!(matches!(
        err.downcast_ref::<LoadError>(),
        Some(LoadError::Stopped("users.csv", _))
    ));
    assert!(c.carrier().is_some());
}

#[test]
fn a_synchronous_body_is_canceled_only_by_its_own_token_wrapped_or_not() {
    // C#: `Task.Run(() => throw new OperationCanceledException(other))` is
    // Faulted; thrown for the token given to `Task.Run`, once it is
    // signalled, it is Canceled.
    let other = CancellationTokenSource::new();
    other.cancel().unwrap();
    let theirs = other.token();
    let t = Task::<()>::try_run(move || {
        Err(LoadError::Stopped("b", CanceledError::with_token(theirs)))
    });
    assert_eq!(t.status_after_wait(), TaskStatus::Faulted);
    // The fault holds what the body returned, not a bare cancellation.
    assert!(matches!(
        first_error(&t).downcast_ref::<LoadError>(),
        Some(LoadError::Stopped("b", _))
    ));

    let own = CancellationTokenSource::new();
    let own_token = own.token();
    let inside = own.token();
    let t = Task::<()>::try_run_with_token(
        move || {
            own.cancel().unwrap();
            Err(LoadError::Stopped("c", CanceledError::with_token(inside)))
        },
        &own_token,
    );
    assert_eq!(t.status_after_wait(), TaskStatus::Canceled);
    assert!(first_error(&t).downcast_ref::<LoadError>().is_some());
}

#[test]
#[cfg(feature = "anyhow")]
fn a_cancellation_inside_anyhow_context_or_an_io_error_cancels_the_task() {
    use anyhow::Context;
    let t = Task::<()>::try_run_async(async {
        Err(CanceledError::new()).context("fetching the page")?;
        Ok::<_, anyhow::Error>(())
    });
    assert_eq!(first_error(&t).to_string(), "the operation was canceled");
    assert_eq!(t.status(), TaskStatus::Canceled);

    // What a socket call canceled by its token returns, wrapped by the user.
    let t = Task::<()>::try_run_async(async {
        let io = io::Error::new(io::ErrorKind::Interrupted, CanceledError::new());
        Err(LoadError::Read("socket", io))
    });
    assert_eq!(t.status_after_wait(), TaskStatus::Canceled);

    // A canceled TaskError awaited inside, then wrapped.
    let inner = Task::<u32>::from_canceled();
    let t = Task::<u32>::try_run_async(async move {
        let v = inner.await.context("the inner step")?;
        Ok::<_, anyhow::Error>(v)
    });
    assert_eq!(t.status_after_wait(), TaskStatus::Canceled);
}

/// An error `depth` wrappers around a cancellation.
#[derive(Debug)]
struct Wrap(Option<Box<Wrap>>, CanceledError);

impl fmt::Display for Wrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("wrapper")
    }
}

impl Error for Wrap {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.0 {
            Some(w) => Some(&**w),
            None => Some(&self.1),
        }
    }
}

fn wrapped(depth: usize) -> Wrap {
    // `depth` is where the CanceledError sits: wrappers at 0..depth.
    let mut w = Wrap(None, CanceledError::new());
    for _ in 1..depth {
        w = Wrap(Some(Box::new(w)), CanceledError::new());
    }
    w
}

#[test]
fn the_cancellation_is_looked_for_to_the_stated_depth_and_no_deeper() {
    let t = Task::<()>::try_run_async(async { Err(wrapped(CANCELLATION_SOURCE_DEPTH)) });
    assert_eq!(t.status_after_wait(), TaskStatus::Canceled);
    let t = Task::<()>::try_run_async(async { Err(wrapped(CANCELLATION_SOURCE_DEPTH + 1)) });
    assert_eq!(t.status_after_wait(), TaskStatus::Faulted);
    assert!(first_error(&t).downcast_ref::<Wrap>().is_some());
}

#[test]
fn an_aggregate_of_cancellations_returned_as_an_error_stays_a_fault() {
    let t = Task::<()>::try_run_async(async { Err(AggregateError::one(TaskError::canceled())) });
    assert_eq!(t.status_after_wait(), TaskStatus::Faulted);
}

#[test]
fn task_errors_flow_into_anyhow_and_box_dyn_error_with_question_mark() {
    fn with_anyhow() -> anyhow::Result<u32> {
        let t = Task::<u32>::try_run(|| Err(ConfigMissing("a")));
        let v = tasklane::block_on(t)?;
        Ok(v)
    }
    let e = with_anyhow().unwrap_err();
    assert!(e.downcast_ref::<TaskError>().is_some());
    assert!(e.chain().any(|c| c.is::<ConfigMissing>()));

    fn with_box() -> Result<u32, Box<dyn Error + Send + Sync>> {
        let t = Task::<u32>::try_run(|| Err(ConfigMissing("b")));
        Ok(t.result()?)
    }
    let e = with_box().unwrap_err();
    assert!(e.downcast_ref::<AggregateError>().is_some());
}

trait StatusAfterWait {
    fn status_after_wait(&self) -> TaskStatus;
}

impl<T> StatusAfterWait for Task<T> {
    fn status_after_wait(&self) -> TaskStatus {
        let _ = self.wait();
        self.status()
    }
}
