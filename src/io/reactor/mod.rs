//! The reactor: one epoll instance (through mio) per runtime that turns OS
//! readiness into task wake-ups, driven by the runtime's parked workers.
//!
#![doc = include_str!("README.md")]

mod driver;
mod ready;
mod scheduled_io;
mod settings;

#[cfg(all(test, loom))]
mod loom_tests;

pub(crate) use ready::{Interest, Ready};
pub(crate) use scheduled_io::{ReadyEvent, ScheduledIo, Slot};
pub(crate) use settings::ReactorSettings;

use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::loom::sync::{Arc, Mutex};
use mio::Token;
use std::io;
use std::task::Waker;

/// The token of the reactor's own `mio::Waker` (never a socket's).
const WAKE_TOKEN: Token = Token(usize::MAX);
/// A socket token packs its slab index (low bits) and the slot's
/// generation (high bits), so an event for a socket that was deregistered
/// while the event was in flight finds a newer generation and is ignored.
const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

struct Entry {
    generation: usize,
    io: Option<Arc<ScheduledIo>>,
}

/// Registered sockets, by slab index.
#[derive(Default)]
struct Slab {
    entries: Vec<Entry>,
    free: Vec<usize>,
}

/// A runtime's reactor: the epoll instance (driven by whichever parked
/// worker holds `driver`), and every registered socket's readiness.
pub(crate) struct Reactor {
    registry: mio::Registry,
    slab: Mutex<Slab>,
    /// The `mio::Poll` and its buffers; the worker holding this lock is the
    /// one sleeping in (or polling) `epoll_wait`.
    driver: std::sync::Mutex<driver::DriverState>,
    /// Wakes the worker sleeping in `epoll_wait`.
    waker: mio::Waker,
    /// Set when the runtime shut down: waits end and registrations fail.
    stopped: AtomicBool,
}

/// What a registration gets back: its token and shared readiness.
pub(crate) struct Registered {
    pub(crate) token: Token,
    pub(crate) io: Arc<ScheduledIo>,
}

impl Reactor {
    /// Registers `source` for both directions (edge-triggered), with
    /// `initial` readiness assumed until the first event (see README,
    /// "optimistic first try").
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
        initial: Ready,
    ) -> io::Result<Registered> {
        let io = Arc::new(ScheduledIo::new(initial));
        let token = {
            let mut slab = crate::loom::lock(&self.slab);
            if self.stopped.load(Ordering::Acquire) {
                return Err(reactor_gone());
            }
            let index = match slab.free.pop() {
                Some(i) => i,
                None => {
                    if slab.entries.len() > INDEX_MASK {
                        return Err(io::Error::other(
                            "tasklane reactor: too many registered sockets (16M); close some first",
                        ));
                    }
                    slab.entries.push(Entry {
                        generation: 0,
                        io: None,
                    });
                    slab.entries.len() - 1
                }
            };
            let e = &mut slab.entries[index];
            e.generation = e.generation.wrapping_add(1) & (usize::MAX >> (INDEX_BITS + 1));
            e.io = Some(io.clone());
            Token((e.generation << INDEX_BITS) | index)
        };
        let interests = mio::Interest::READABLE | mio::Interest::WRITABLE;
        if let Err(e) = self.registry.register(source, token, interests) {
            self.release(token);
            return Err(e);
        }
        Ok(Registered { token, io })
    }

    /// Removes `source` from epoll and frees its slot; pending waiters (there
    /// can be none through the safe API) are dropped, not woken.
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source, token: Token) {
        // Errors mean the fd is already gone from epoll; nothing to undo.
        let _ = self.registry.deregister(source);
        self.release(token);
    }

    fn release(&self, token: Token) {
        let index = token.0 & INDEX_MASK;
        let io = {
            let mut slab = crate::loom::lock(&self.slab);
            let Some(e) = slab.entries.get_mut(index) else {
                return;
            };
            if e.generation != token.0 >> INDEX_BITS {
                return;
            }
            let io = e.io.take();
            slab.free.push(index);
            io
        };
        if let Some(io) = io {
            let mut wakers = Vec::new();
            io.shutdown(&mut wakers);
            drop(wakers);
        }
    }

    /// Sets the readiness of each event's socket, collecting the wakers to
    /// call into `wake` (the caller wakes them once no lock is held).
    pub(crate) fn dispatch(&self, events: &mio::Events, wake: &mut Vec<Waker>) {
        let slab = crate::loom::lock(&self.slab);
        for event in events.iter() {
            let token = event.token();
            if token == WAKE_TOKEN {
                continue;
            }
            let Some(e) = slab.entries.get(token.0 & INDEX_MASK) else {
                continue;
            };
            if e.generation != token.0 >> INDEX_BITS {
                continue;
            }
            if let Some(io) = &e.io {
                io.set_readiness(Ready::from_event(event), wake);
            }
        }
    }

    /// The runtime shut down: every registered socket's waits end with
    /// [`reactor_gone`], and new registrations fail.
    pub(crate) fn stop(&self) {
        let mut wake = Vec::new();
        {
            let slab = crate::loom::lock(&self.slab);
            self.stopped.store(true, Ordering::Release);
            for io in slab.entries.iter().filter_map(|e| e.io.as_ref()) {
                io.shutdown(&mut wake);
            }
        }
        driver::wake_all(&mut wake);
    }

    /// Sockets registered now.
    pub(crate) fn registered(&self) -> usize {
        let slab = crate::loom::lock(&self.slab);
        slab.entries.len() - slab.free.len()
    }
}

/// The reactor of the current runtime (else of the process's default
/// runtime): where a new socket registers.
pub(crate) fn current() -> io::Result<std::sync::Arc<Reactor>> {
    of(&crate::runtime::Handle::current_or_default())
}

/// The reactor of the process's default runtime, which never shuts down
/// (for process-wide sources such as the signal pipe).
pub(crate) fn process_wide() -> io::Result<std::sync::Arc<Reactor>> {
    of(crate::runtime::default_runtime().handle())
}

fn of(handle: &crate::runtime::Handle) -> io::Result<std::sync::Arc<Reactor>> {
    handle
        .shared()
        .driver()
        .and_then(|d| d.clone().as_any_arc().downcast::<Reactor>().ok())
        .ok_or_else(reactor_gone)
}

/// The error an operation reports when its socket's runtime is gone.
pub(crate) fn reactor_gone() -> io::Error {
    io::Error::other(
        "tasklane reactor stopped: the runtime this socket was created on has shut down; \
         create sockets on a runtime that outlives them",
    )
}
