//! [`ParallelOptions`] and [`ParallelLoopResult`].

use crate::cancel::CancellationToken;

/// How a parallel loop runs. C#: `ParallelOptions`.
#[derive(Clone, Debug, Default)]
pub struct ParallelOptions {
    /// The most iterations (or async bodies) running at once. `None`: as
    /// many as the pool gives workers for `for_`/`for_each`/`invoke`, the
    /// processor count for `for_each_async` (.NET's defaults). `Some(0)`
    /// is an error. C#: `MaxDegreeOfParallelism` (-1 for none).
    pub max_degree_of_parallelism: Option<usize>,
    /// Cancels the loop: no iteration starts once it fires, and the loop
    /// ends with a cancellation once the running ones finish. C#:
    /// `CancellationToken`.
    pub cancellation_token: CancellationToken,
}

impl ParallelOptions {
    /// Options with at most `n` at once.
    pub fn with_max_degree_of_parallelism(mut self, n: usize) -> ParallelOptions {
        self.max_degree_of_parallelism = Some(n);
        self
    }

    /// Options cancelled by `token`.
    pub fn with_cancellation_token(mut self, token: &CancellationToken) -> ParallelOptions {
        self.cancellation_token = token.clone();
        self
    }
}

/// How a loop ended: ran to completion, or ended early by
/// [`stop`](super::ParallelLoopState::stop) or
/// [`break_`](super::ParallelLoopState::break_). C#: `ParallelLoopResult`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParallelLoopResult {
    /// True if every iteration ran (neither stopped nor broken). C#:
    /// `IsCompleted`.
    pub is_completed: bool,
    /// The lowest iteration that called `break_`, if one did: every
    /// iteration below it ran. C#: `LowestBreakIteration`.
    pub lowest_break_iteration: Option<usize>,
}
