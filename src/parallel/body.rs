//! What a loop body may return: nothing, or a `Result` whose error fails
//! the loop.

use crate::task::BoxError;

/// A loop body's result: `()`, or `Result<(), E>` for any error a Rust
/// program has (`anyhow::Error`, `io::Error`, a string, your enum). An
/// `Err` fails the loop as a panic does: no iteration starts after it is
/// seen, and it is in the loop's `AggregateError`. C#: an exception thrown
/// by the body.
pub trait LoopBodyResult {
    /// The outcome as the loop records it.
    fn into_loop_result(self) -> Result<(), BoxError>;
}

impl LoopBodyResult for () {
    #[inline]
    fn into_loop_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<E: Into<BoxError>> LoopBodyResult for Result<(), E> {
    #[inline]
    fn into_loop_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}
