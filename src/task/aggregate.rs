//! `AggregateError`: every error of a task, as `wait()` and `result()` report.

use super::error::TaskError;
use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// All the errors a task ended with, in order. `wait()`, `result()` and
/// `exception()` report this; `.await` reports only the first.
///
/// A canceled task's `wait()` gives an `AggregateError` holding one
/// [`TaskError::Canceled`].
///
/// C#: `AggregateException`.
#[derive(Clone)]
pub struct AggregateError {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    One(TaskError),
    Many(Arc<[TaskError]>),
}

impl AggregateError {
    /// An aggregate of one error. C#: `new AggregateException(inner)`.
    pub fn one(error: TaskError) -> AggregateError {
        AggregateError {
            repr: Repr::One(error),
        }
    }

    /// An aggregate of several errors; `None` if `errors` is empty. C#:
    /// `new AggregateException(IEnumerable<Exception>)` (which accepts an
    /// empty list).
    pub fn from_errors(errors: Vec<TaskError>) -> Option<AggregateError> {
        match errors.len() {
            0 => None,
            1 => Some(AggregateError::one(errors.into_iter().next()?)),
            _ => Some(AggregateError {
                repr: Repr::Many(errors.into()),
            }),
        }
    }

    /// The errors, in order. C#: `AggregateException.InnerExceptions`.
    pub fn errors(&self) -> &[TaskError] {
        match &self.repr {
            Repr::One(e) => std::slice::from_ref(e),
            Repr::Many(v) => v,
        }
    }

    /// The first error: what `.await` reports. C#:
    /// `AggregateException.InnerException`.
    pub fn first(&self) -> &TaskError {
        &self.errors()[0]
    }

    /// The number of errors. C#: `AggregateException.InnerExceptions.Count`.
    pub fn len(&self) -> usize {
        self.errors().len()
    }

    /// Always false: an aggregate holds at least one error.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// True if the only error is a cancellation (how a canceled task reports).
    pub fn is_canceled(&self) -> bool {
        self.len() == 1 && self.first().is_canceled()
    }

    /// Nested aggregates (a fault whose error is itself an `AggregateError`)
    /// replaced by their inner errors, recursively. C#:
    /// `AggregateException.Flatten()`.
    pub fn flatten(&self) -> AggregateError {
        let mut out = Vec::new();
        fn walk(errors: &[TaskError], out: &mut Vec<TaskError>) {
            for e in errors {
                match e.downcast_ref::<AggregateError>() {
                    Some(inner) => walk(inner.errors(), out),
                    None => out.push(e.clone()),
                }
            }
        }
        walk(self.errors(), &mut out);
        AggregateError::from_errors(out).unwrap_or_else(|| self.clone())
    }

    /// The first error of type `E`, searching nested aggregates too.
    pub fn find<E: Error + 'static>(&self) -> Option<&E> {
        self.errors().iter().find_map(|e| {
            e.downcast_ref::<E>().or_else(|| {
                e.downcast_ref::<AggregateError>()
                    .and_then(|a| a.find::<E>())
            })
        })
    }

    /// An iterator over the errors. C#: enumerating
    /// `AggregateException.InnerExceptions`.
    pub fn iter(&self) -> std::slice::Iter<'_, TaskError> {
        self.errors().iter()
    }
}

impl<'a> IntoIterator for &'a AggregateError {
    type Item = &'a TaskError;
    type IntoIter = std::slice::Iter<'a, TaskError>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Debug for AggregateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AggregateError")
            .field(&self.errors())
            .finish()
    }
}

impl fmt::Display for AggregateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one or more errors occurred.")?;
        for e in self.errors() {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

impl Error for AggregateError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.first())
    }
}

impl From<TaskError> for AggregateError {
    fn from(e: TaskError) -> Self {
        AggregateError::one(e)
    }
}
