//! `when_all` and `when_any`: promises completed by the inputs' own
//! completions.
//!
//! Each input gets a completion action (`Continuation::Action`) that runs
//! on the thread completing it, as .NET's `WhenAllPromise` and
//! `WhenAnyPromise` register an `ITaskCompletionAction` on every input:
//!
//! - `when_all` counts down; the input that brings the count to zero
//!   computes the outcome and completes the promise, inside its own
//!   completion, so the `when_all` task's status is final the moment the
//!   last input's completion returns.
//! - `when_any`: the first input whose action runs wins (an atomic swap)
//!   and completes the promise with itself, then removes the other inputs'
//!   actions so a long-lived input does not collect them.
//!
//! Inputs already complete are handled at the call, so the result is
//! complete when it returns if they all are (`when_all`) or any is
//! (`when_any`, the first complete one in argument order).

use super::continuation::{CompletionAction, Continuation, Registered};
use super::raw::RawTask;
use super::{AggregateError, InvalidOperationError, Task, TaskCompletionSource, TaskError};
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Registers `action` on `input` under `index`; runs it at once if the
/// input is already complete. Returns the registration's key, if stored.
pub(crate) fn register_action<A: CompletionAction + 'static>(
    input: RawTask,
    action: &Arc<A>,
    index: usize,
) -> Option<usize> {
    if input.header().state.load().is_complete() {
        // No registration (no lock, no count) for what is already done.
        action.invoke(index);
        return None;
    }
    let index = u32::try_from(index).expect("fewer than 4 billion inputs");
    let action: Arc<dyn CompletionAction> = action.clone();
    match super::handle::register(input, Continuation::Action(action, index)) {
        Registered::Stored(key) => Some(key),
        Registered::MustDrain => {
            super::run_continuations::run_continuations(input);
            None
        }
        Registered::Completed(entry) => {
            super::run_continuations::run_continuation(input, entry, false);
            None
        }
    }
}

/// The outcome of `when_all` over completed inputs: Faulted with every
/// error (input order) if any faulted, else Canceled if any was canceled,
/// else every value in input order. Reading a fault observes it.
fn when_all_outcome<T: Clone>(inputs: &[Task<T>]) -> Result<Vec<T>, AggregateError> {
    let mut errors: Vec<TaskError> = Vec::new();
    let mut canceled: Option<TaskError> = None;
    for t in inputs {
        if t.is_faulted() {
            if let Some(agg) = t.exception() {
                errors.extend(agg.errors().iter().cloned());
            }
        } else if t.is_canceled() && canceled.is_none() {
            canceled = t
                .try_result()
                .and_then(|r| r.err())
                .map(|a| a.first().clone());
        }
    }
    if let Some(agg) = AggregateError::from_errors(errors) {
        return Err(agg);
    }
    if let Some(c) = canceled {
        return Err(AggregateError::one(c));
    }
    Ok(inputs
        .iter()
        .map(|t| match t.try_result() {
            Some(Ok(v)) => v,
            _ => unreachable!("every input ran to completion"),
        })
        .collect())
}

/// `when_all`'s promise and countdown.
struct WhenAll<T> {
    inputs: Vec<Task<T>>,
    remaining: AtomicUsize,
    promise: TaskCompletionSource<Vec<T>>,
}

impl<T: Clone + Send + Sync + 'static> CompletionAction for WhenAll<T> {
    fn invoke(&self, _: usize) {
        // The last input to complete completes the promise.
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.promise
                .try_complete_with(when_all_outcome(&self.inputs));
        }
    }

    fn waiting_task(&self) -> Option<RawTask> {
        Some(self.promise.raw())
    }
}

/// `when_any`'s promise, the winner flag, and the keys of the actions to
/// remove once there is a winner.
struct WhenAny<T> {
    inputs: Vec<Task<T>>,
    won: AtomicBool,
    keys: Mutex<Vec<Option<usize>>>,
    promise: TaskCompletionSource<Task<T>>,
}

impl<T> WhenAny<T> {
    /// Removes every action still registered (the winner's ran already).
    fn remove_actions(&self) {
        let keys = std::mem::take(&mut *crate::loom::lock(&self.keys));
        for (input, key) in self.inputs.iter().zip(keys) {
            if let Some(key) = key {
                drop(input.raw().header().continuations.remove(key));
            }
        }
    }
}

impl<T: Send + Sync + 'static> CompletionAction for WhenAny<T> {
    fn invoke(&self, index: usize) {
        if self.won.swap(true, Ordering::AcqRel) {
            return;
        }
        self.promise
            .try_complete_with(Ok(self.inputs[index].clone()));
        self.remove_actions();
    }

    fn waiting_task(&self) -> Option<RawTask> {
        Some(self.promise.raw())
    }
}

impl<T: Clone + Send + Sync + 'static> Task<T> {
    /// A task that completes when every input has: Faulted with all the
    /// inputs' errors (input order) if any faulted, else Canceled if any was
    /// canceled, else the values in input order. It completes on the thread
    /// that completes the last input, inside that completion (its status is
    /// final when that returns); over inputs already complete it is complete
    /// when this returns. Empty input completes at once. Reading the
    /// inputs' faults observes them. C#: `Task.WhenAll`.
    ///
    /// ```
    /// use tasklane::Task;
    /// let all = Task::when_all((1..=3).map(|i| Task::run(move || i * 10)));
    /// assert_eq!(all.result().unwrap(), vec![10, 20, 30]);
    /// ```
    #[track_caller]
    pub fn when_all<I>(tasks: I) -> Task<Vec<T>>
    where
        I: IntoIterator<Item = Task<T>>,
    {
        let inputs: Vec<Task<T>> = tasks.into_iter().collect();
        if inputs.is_empty() {
            return Task::from_result(Vec::new());
        }
        let raws: Vec<RawTask> = inputs.iter().map(Task::raw).collect();
        let state = Arc::new(WhenAll {
            remaining: AtomicUsize::new(inputs.len()),
            inputs,
            promise: TaskCompletionSource::new(),
        });
        let task = state.promise.task();
        for (i, raw) in raws.into_iter().enumerate() {
            register_action(raw, &state, i);
        }
        task
    }
}

impl<T: Send + Sync + 'static> Task<T> {
    /// A task that completes when the first input completes, with that input
    /// itself (not its result): the input whose completion came first, by
    /// identity, or over inputs already complete the first of them in
    /// argument order. It always ends RanToCompletion, even when the winner
    /// faulted or was canceled. Empty input is misuse: the task faults with
    /// [`InvalidOperationError::NoTasks`]. C#: `Task.WhenAny`.
    ///
    /// ```
    /// use tasklane::{Task, TaskCompletionSource};
    /// let never = TaskCompletionSource::<u8>::new();
    /// let first = Task::when_any(vec![never.task(), Task::from_result(7)]).result().unwrap();
    /// assert_eq!(first.result().unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn when_any<I>(tasks: I) -> Task<Task<T>>
    where
        I: IntoIterator<Item = Task<T>>,
    {
        let inputs: Vec<Task<T>> = tasks.into_iter().collect();
        if inputs.is_empty() {
            return Task::from_error(InvalidOperationError::NoTasks("when_any"));
        }
        let raws: Vec<RawTask> = inputs.iter().map(Task::raw).collect();
        let state = Arc::new(WhenAny {
            won: AtomicBool::new(false),
            keys: Mutex::new(vec![None; inputs.len()]),
            inputs,
            promise: TaskCompletionSource::new(),
        });
        let task = state.promise.task();
        for (i, raw) in raws.into_iter().enumerate() {
            if state.won.load(Ordering::Acquire) {
                break;
            }
            if let Some(key) = register_action(raw, &state, i) {
                let mut keys = crate::loom::lock(&state.keys);
                if state.won.load(Ordering::Acquire) {
                    // Won meanwhile: the winner may have taken the keys
                    // already, so this one is removed here.
                    drop(keys);
                    drop(raw.header().continuations.remove(key));
                } else {
                    keys[i] = Some(key);
                }
            }
        }
        task
    }
}
