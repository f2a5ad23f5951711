//! What a task's last poll parked on, as one word in its header, so a task
//! dump can say "waiting on task 12", "on the channel created at
//! src/x.rs:4", "on a delay due in 2 s", "reading a socket".
//!
//! The word is written by the task's own poll (the future that parks
//! records what it parks on) and cleared as the next poll starts
//! (`current.rs`); diagnostics read it from anywhere. It holds values only
//! (a deadline, a file descriptor, the address of a `'static` location,
//! the address of an awaited task's header — compared with the tasks a
//! dump lists, never followed), so a reader racing with the task sees an
//! old or a new value, never a dangling one.
//!
//! Layout: the top four bits are the tag, bit 59 says the poll parked on
//! more than one thing (a `select`, a `timeout`: the dump then cannot say
//! that one of them alone holds the task), the low 59 bits are the payload.

use std::panic::Location;

const TAG_SHIFT: u32 = 60;
const MULTIPLE: u64 = 1 << 59;
const PAYLOAD: u64 = MULTIPLE - 1;

// Tags 1..=7: a primitive of `tasklane::sync`, by kind index (the sync
// layer names the kinds); the payload is its creation location's address.
const TAG_TASK: u64 = 8;
const TAG_BLOCKED: u64 = 9;
const TAG_DELAY: u64 = 10;
const TAG_READ: u64 = 11;
const TAG_WRITE: u64 = 12;
const TAG_TOKEN: u64 = 13;

/// One decoded wait word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parked {
    /// A primitive of `tasklane::sync`: its kind index and creation site.
    Primitive(u8, &'static Location<'static>),
    /// Awaiting the task whose header is at this address.
    Task(usize),
    /// Blocked in `wait()` on the task at this address, inside the poll.
    Blocked(usize),
    /// A delay due at this time (`clock::deadline_ms`).
    Delay(u64),
    /// A socket (this file descriptor) to become readable.
    Read(i32),
    /// A socket to become writable.
    Write(i32),
    /// A cancellation token to be cancelled.
    Token,
}

/// A wait word and whether the poll parked on other things too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitWord(pub(crate) u64);

impl WaitWord {
    fn make(tag: u64, payload: u64) -> WaitWord {
        if payload > PAYLOAD {
            // Cannot be said in 59 bits (an address above them): say nothing.
            return WaitWord(0);
        }
        WaitWord((tag << TAG_SHIFT) | payload)
    }

    /// A primitive of kind `kind` (1..=7) created at `location`.
    pub(crate) fn primitive(kind: u8, location: &'static Location<'static>) -> WaitWord {
        debug_assert!((1..=7).contains(&kind));
        WaitWord::make(u64::from(kind & 7), location as *const _ as usize as u64)
    }

    /// Awaiting the task at `address` (its header's: compared with the
    /// tasks a dump lists, never followed).
    pub(crate) fn task(address: usize) -> WaitWord {
        WaitWord::make(TAG_TASK, address as u64)
    }

    /// Blocked in `wait()` on the task at `address`.
    pub(crate) fn blocked(address: usize) -> WaitWord {
        WaitWord::make(TAG_BLOCKED, address as u64)
    }

    /// A delay due at `deadline` (`clock::deadline_ms`).
    pub(crate) fn delay(deadline: u64) -> WaitWord {
        WaitWord::make(TAG_DELAY, deadline)
    }

    /// A socket: readable (`write` false) or writable.
    pub(crate) fn socket(fd: i32, write: bool) -> WaitWord {
        let tag = if write { TAG_WRITE } else { TAG_READ };
        WaitWord::make(tag, u64::from(fd as u32))
    }

    /// A cancellation token.
    pub(crate) fn token() -> WaitWord {
        WaitWord::make(TAG_TOKEN, 0)
    }

    /// True if the poll parked on more than what the word names.
    pub(crate) fn is_multiple(self) -> bool {
        self.0 & MULTIPLE != 0
    }

    /// What the word says (None: nothing recorded).
    pub(crate) fn decode(self) -> Option<Parked> {
        let payload = self.0 & PAYLOAD;
        Some(match self.0 >> TAG_SHIFT {
            0 => return None,
            kind @ 1..=7 => {
                let location = payload as usize as *const Location<'static>;
                // SAFETY: only `primitive` makes these tags, from the
                // address of a `&'static Location` (no other tag's payload
                // is read as one): it lives for the whole program.
                Parked::Primitive(kind as u8, unsafe { &*location })
            }
            TAG_TASK => Parked::Task(payload as usize),
            TAG_BLOCKED => Parked::Blocked(payload as usize),
            TAG_DELAY => Parked::Delay(payload),
            TAG_READ => Parked::Read(payload as u32 as i32),
            TAG_WRITE => Parked::Write(payload as u32 as i32),
            TAG_TOKEN => Parked::Token,
            _ => return None,
        })
    }

    /// `self` recorded over `old` within the same poll.
    pub(crate) fn over(self, old: u64) -> WaitWord {
        if old == 0 || old & !MULTIPLE == self.0 {
            WaitWord(self.0 | (old & MULTIPLE))
        } else {
            WaitWord(self.0 | MULTIPLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        let here = Location::caller();
        assert_eq!(
            WaitWord::primitive(3, here).decode(),
            Some(Parked::Primitive(3, here))
        );
        assert_eq!(
            WaitWord::task(0x7f00_1234_5678).decode(),
            Some(Parked::Task(0x7f00_1234_5678))
        );
        assert_eq!(
            WaitWord::blocked(0x1000).decode(),
            Some(Parked::Blocked(0x1000))
        );
        assert_eq!(WaitWord::delay(99).decode(), Some(Parked::Delay(99)));
        assert_eq!(WaitWord::socket(5, false).decode(), Some(Parked::Read(5)));
        assert_eq!(WaitWord::socket(5, true).decode(), Some(Parked::Write(5)));
        assert_eq!(WaitWord::token().decode(), Some(Parked::Token));
        assert_eq!(WaitWord(0).decode(), None);
    }

    #[test]
    fn a_second_different_wait_in_one_poll_marks_the_word() {
        let a = WaitWord::task(0x1000);
        let b = WaitWord::delay(5);
        assert!(!a.over(0).is_multiple());
        assert!(!a.over(a.0).is_multiple());
        let both = b.over(a.0);
        assert!(both.is_multiple());
        assert_eq!(both.decode(), Some(Parked::Delay(5)));
        assert!(a.over(both.0).is_multiple());
    }
}
