//! Readiness bits and interests: what the OS said a socket can do, and what
//! an operation waits for.

/// A set of readiness bits, as epoll reported them.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ready(usize);

impl Ready {
    pub(crate) const EMPTY: Ready = Ready(0);
    /// Data (or a connection) can be read.
    pub(crate) const READABLE: Ready = Ready(1 << 0);
    /// Data can be written (or a connect finished).
    pub(crate) const WRITABLE: Ready = Ready(1 << 1);
    /// The peer will send no more (EPOLLRDHUP/EPOLLHUP): reads return 0 or
    /// an error from now on. Never cleared.
    pub(crate) const READ_CLOSED: Ready = Ready(1 << 2);
    /// Writes will fail from now on (EPOLLHUP/EPOLLERR). Never cleared.
    pub(crate) const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// The socket has a pending error (EPOLLERR); the next syscall reports it.
    pub(crate) const ERROR: Ready = Ready(1 << 4);
    /// Every bit above.
    pub(crate) const ALL: Ready = Ready(0b1_1111);

    pub(crate) const fn from_bits(bits: usize) -> Ready {
        Ready(bits & Ready::ALL.0)
    }

    pub(crate) const fn bits(self) -> usize {
        self.0
    }

    pub(crate) const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) const fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) const fn union(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }

    pub(crate) const fn intersection(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }

    /// The bits an operation may clear after it saw `WouldBlock`: only the
    /// plain readable/writable bits; closed and error bits are final.
    pub(crate) const fn clearable(self) -> Ready {
        Ready(self.0 & (Ready::READABLE.0 | Ready::WRITABLE.0))
    }

    /// Translates one mio event.
    pub(crate) fn from_event(event: &mio::event::Event) -> Ready {
        let mut r = Ready::EMPTY;
        if event.is_readable() {
            r = r.union(Ready::READABLE);
        }
        if event.is_writable() {
            r = r.union(Ready::WRITABLE);
        }
        if event.is_read_closed() {
            r = r.union(Ready::READ_CLOSED);
        }
        if event.is_write_closed() {
            r = r.union(Ready::WRITE_CLOSED);
        }
        if event.is_error() {
            r = r.union(Ready::ERROR);
        }
        r
    }
}

/// What an operation waits for: one direction of a socket.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Interest {
    /// Reads, accepts, receives.
    Read,
    /// Writes, sends, connects.
    Write,
}

impl Interest {
    /// The readiness bits that end a wait for this interest: the direction's
    /// own bit, its closed bit, and an error.
    pub(crate) const fn mask(self) -> Ready {
        match self {
            Interest::Read => Ready(Ready::READABLE.0 | Ready::READ_CLOSED.0 | Ready::ERROR.0),
            Interest::Write => Ready(Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0 | Ready::ERROR.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_bits_are_clearable() {
        let all = Ready::ALL;
        assert_eq!(all.clearable(), Ready::READABLE.union(Ready::WRITABLE));
        assert!(Interest::Read.mask().intersects(Ready::READ_CLOSED));
        assert!(!Interest::Read.mask().intersects(Ready::WRITABLE));
        assert!(Interest::Write.mask().intersects(Ready::ERROR));
    }
}
