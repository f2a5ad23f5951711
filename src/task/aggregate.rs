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
    /// replaced by their inner errors, in .NET's order: breadth first, so
    /// this aggregate's own errors come first (in order), then those of the
    /// aggregates it holds, then theirs. C#: `AggregateException.Flatten()`.
    ///
    /// ```
    /// use tasklane::{AggregateError, TaskError};
    /// let e = |s: &str| TaskError::new(std::io::Error::other(s.to_owned()));
    /// let inner = AggregateError::from_errors(vec![e("b"), e("c")]).unwrap();
    /// let outer = AggregateError::from_errors(vec![TaskError::new(inner), e("a")]).unwrap();
    /// let order: Vec<String> = outer.flatten().iter().map(|e| e.to_string()).collect();
    /// assert_eq!(order, ["a", "b", "c"]);
    /// ```
    pub fn flatten(&self) -> AggregateError {
        let mut out = Vec::new();
        let mut queue: std::collections::VecDeque<&AggregateError> = [self].into();
        while let Some(agg) = queue.pop_front() {
            for e in agg.errors() {
                match e.downcast_ref::<AggregateError>() {
                    Some(inner) => queue.push_back(inner),
                    None => out.push(e.clone()),
                }
            }
        }
        AggregateError::from_errors(out).unwrap_or_else(|| self.clone())
    }

    /// The error at the root of this one: while an aggregate holds exactly
    /// one error and that error is itself an aggregate, go into it; the
    /// result is that single non-aggregate error, or the innermost
    /// aggregate holding several. C#: `AggregateException.GetBaseException()`.
    ///
    /// ```
    /// use tasklane::{AggregateError, TaskError};
    /// let io = TaskError::new(std::io::Error::other("disk"));
    /// let nested = AggregateError::one(TaskError::new(AggregateError::one(io)));
    /// let base = nested.get_base_exception();
    /// assert_eq!(base.to_string(), "disk");
    /// ```
    pub fn get_base_exception(&self) -> &(dyn Error + Send + Sync + 'static) {
        let mut agg = self;
        loop {
            if agg.len() != 1 {
                return agg;
            }
            let only = agg.first();
            match only.downcast_ref::<AggregateError>() {
                Some(inner) => agg = inner,
                None => return only,
            }
        }
    }

    /// The first error of type `E`, searching nested aggregates too.
    pub fn find<E: Error + Send + Sync + 'static>(&self) -> Option<&E> {
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
