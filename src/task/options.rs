//! Creation and continuation options, as .NET's flags enums.

use std::ops::{BitOr, BitOrAssign};

macro_rules! flags {
    ($(#[$m:meta])* $name:ident : $repr:ty { $($(#[$fm:meta])* $flag:ident = $bit:expr;)* }) => {
        $(#[$m])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
        pub struct $name($repr);

        impl $name {
            /// No options. C#: `None`.
            pub const NONE: $name = $name(0);
            $($(#[$fm])* pub const $flag: $name = $name($bit);)*

            /// True if every flag in `other` is set in `self`. C#:
            /// `Enum.HasFlag`.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// The union of two sets of flags. C#: the `|` operator.
            pub const fn union(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }
        }

        impl BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                self.union(rhs)
            }
        }

        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: $name) {
                *self = self.union(rhs);
            }
        }

        impl std::fmt::Debug for $name {
            // `$bit != 0` skips the NONE flag; for the others clippy sees a
            // constant mask and flags the check as always true.
            #[allow(clippy::bad_bit_mask)]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut first = true;
                f.write_str(concat!(stringify!($name), "("))?;
                $(if self.contains($name::$flag) {
                    if !first { f.write_str(" | ")?; }
                    first = false;
                    f.write_str(stringify!($flag))?;
                })*
                if first { f.write_str("NONE")?; }
                f.write_str(")")
            }
        }
    };
}

flags! {
    /// How a task is created. C#: `TaskCreationOptions`.
    TaskCreationOptions: u16 {
        /// Attach to the task running on this thread (if it allows children):
        /// the parent completes only after this child. C#: `AttachedToParent`.
        ATTACHED_TO_PARENT = 1 << 0;
        /// Children created with ATTACHED_TO_PARENT inside this task run
        /// detached. C#: `DenyChildAttach` (what `Task.Run` implies).
        DENY_CHILD_ATTACH = 1 << 1;
        /// Continuations never run on the completing thread: they are queued
        /// to the pool. C#: `RunContinuationsAsynchronously`.
        RUN_CONTINUATIONS_ASYNCHRONOUSLY = 1 << 2;
        /// A hint that the work is long and blocking: it runs on a dedicated
        /// thread instead of a pool worker. C#: `LongRunning`.
        LONG_RUNNING = 1 << 3;
        /// Queue to the global queue even from a worker, behind earlier work.
        /// C#: `PreferFairness`.
        PREFER_FAIRNESS = 1 << 4;
        /// Inside this task, the current scheduler is the default one (the
        /// pool), not the one it runs on: work it starts with
        /// `Task::start_new` or `continue_with` goes to the pool. C#:
        /// `HideScheduler`.
        HIDE_SCHEDULER = 1 << 5;
    }
}

flags! {
    /// When and how a `continue_with` continuation runs. C#:
    /// `TaskContinuationOptions`.
    ContinuationOptions: u16 {
        /// Run only if the antecedent ran to completion; otherwise the
        /// continuation ends Canceled. C#: `OnlyOnRanToCompletion`.
        ONLY_ON_RAN_TO_COMPLETION = (1 << 1) | (1 << 2);
        /// Run only if the antecedent faulted. C#: `OnlyOnFaulted`.
        ONLY_ON_FAULTED = (1 << 0) | (1 << 2);
        /// Run only if the antecedent was canceled. C#: `OnlyOnCanceled`.
        ONLY_ON_CANCELED = (1 << 0) | (1 << 1);
        /// Do not run if the antecedent ran to completion. C#:
        /// `NotOnRanToCompletion`.
        NOT_ON_RAN_TO_COMPLETION = 1 << 0;
        /// Do not run if the antecedent faulted. C#: `NotOnFaulted`.
        NOT_ON_FAULTED = 1 << 1;
        /// Do not run if the antecedent was canceled. C#: `NotOnCanceled`.
        NOT_ON_CANCELED = 1 << 2;
        /// Run on the thread that completes the antecedent (or at once, if it
        /// is already complete) instead of being queued. C#:
        /// `ExecuteSynchronously`.
        EXECUTE_SYNCHRONOUSLY = 1 << 3;
        /// The continuation task's own continuations run asynchronously. C#:
        /// `RunContinuationsAsynchronously`.
        RUN_CONTINUATIONS_ASYNCHRONOUSLY = 1 << 4;
        /// Attach the continuation to the task running on this thread. C#:
        /// `AttachedToParent`.
        ATTACHED_TO_PARENT = 1 << 5;
        /// Children of the continuation run detached. C#: `DenyChildAttach`.
        DENY_CHILD_ATTACH = 1 << 6;
        /// The continuation runs on a dedicated thread. C#: `LongRunning`.
        LONG_RUNNING = 1 << 7;
        /// With a token (`continue_with_token`): a cancellation before the
        /// antecedent completes takes effect only then, so the continuation
        /// never completes before its antecedent. Without it the token
        /// cancels the continuation at once. C#: `LazyCancellation`.
        LAZY_CANCELLATION = 1 << 8;
        /// Inside the continuation, the current scheduler is the default
        /// one, not the one it runs on. C#: `HideScheduler`.
        HIDE_SCHEDULER = 1 << 9;
    }
}

impl ContinuationOptions {
    /// The creation options the continuation task itself gets.
    pub(crate) fn creation_options(self) -> TaskCreationOptions {
        let mut o = TaskCreationOptions::NONE;
        if self.contains(ContinuationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY) {
            o |= TaskCreationOptions::RUN_CONTINUATIONS_ASYNCHRONOUSLY;
        }
        if self.contains(ContinuationOptions::ATTACHED_TO_PARENT) {
            o |= TaskCreationOptions::ATTACHED_TO_PARENT;
        }
        if self.contains(ContinuationOptions::DENY_CHILD_ATTACH) {
            o |= TaskCreationOptions::DENY_CHILD_ATTACH;
        }
        if self.contains(ContinuationOptions::LONG_RUNNING) {
            o |= TaskCreationOptions::LONG_RUNNING;
        }
        if self.contains(ContinuationOptions::HIDE_SCHEDULER) {
            o |= TaskCreationOptions::HIDE_SCHEDULER;
        }
        o
    }

    /// Options that exclude each other: every outcome excluded, or a
    /// dedicated thread asked together with the completing thread. C#: the
    /// `ArgumentOutOfRangeException` of `ContinueWith`.
    pub(crate) fn validate(self) -> Result<(), crate::task::InvalidOperationError> {
        use crate::task::InvalidOperationError::ConflictingOptions;
        let none = ContinuationOptions::NOT_ON_RAN_TO_COMPLETION
            | ContinuationOptions::NOT_ON_FAULTED
            | ContinuationOptions::NOT_ON_CANCELED;
        if self.contains(none) {
            return Err(ConflictingOptions(
                "the continuation would run for no outcome of its antecedent (NOT_ON_RAN_TO_COMPLETION, NOT_ON_FAULTED and NOT_ON_CANCELED together, as ONLY_ON_RAN_TO_COMPLETION | ONLY_ON_FAULTED are)",
            ));
        }
        if self.contains(
            ContinuationOptions::LONG_RUNNING | ContinuationOptions::EXECUTE_SYNCHRONOUSLY,
        ) {
            return Err(ConflictingOptions(
                "LONG_RUNNING asks for a thread of its own, EXECUTE_SYNCHRONOUSLY for the thread that completes the antecedent",
            ));
        }
        Ok(())
    }

    /// Whether the continuation may run for an antecedent that ended `status`.
    pub(crate) fn allows(self, status: crate::task::TaskStatus) -> bool {
        use crate::task::TaskStatus;
        let blocked = match status {
            TaskStatus::RanToCompletion => ContinuationOptions::NOT_ON_RAN_TO_COMPLETION,
            TaskStatus::Faulted => ContinuationOptions::NOT_ON_FAULTED,
            TaskStatus::Canceled => ContinuationOptions::NOT_ON_CANCELED,
            _ => return false,
        };
        !self.contains(blocked)
    }
}
