//! [`Barrier`]: participants meet at the end of each phase.

use super::waiters::{WaitKey, Waiters, wake_all};
use super::waits::{WaitKind, WaitSite, Watch};
use crate::cancel::spin_lock::SpinLock;
use crate::task::TaskError;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A post-phase action: runs once per phase, when the last participant
/// arrives, before any is released.
pub type PostPhaseAction = Arc<dyn Fn(&Barrier) + Send + Sync>;

/// Why `signal_and_wait_async` failed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BarrierError {
    /// More participants signaled this phase than the barrier has. C#:
    /// `InvalidOperationException`.
    TooManyParticipants,
    /// The post-phase action panicked; every participant of the phase gets
    /// this. C#: `BarrierPostPhaseException`.
    PostPhase(TaskError),
}

impl fmt::Display for BarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarrierError::TooManyParticipants => f.write_str(
                "the number of threads using the barrier exceeded the total number of registered participants",
            ),
            BarrierError::PostPhase(e) => write!(f, "the post-phase action failed: {e}"),
        }
    }
}

impl std::error::Error for BarrierError {}

struct State {
    participants: usize,
    arrived: usize,
    phase: u64,
    waiters: Waiters,
    /// The outcome of the last finished phase's action.
    last_failure: Option<(u64, TaskError)>,
}

/// Participants work in phases: each calls `signal_and_wait_async` at the
/// end of a phase and is released when all have, after the post-phase
/// action (if any) ran.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use tasklane::sync::Barrier;
/// use tasklane::Task;
///
/// let phases = Arc::new(AtomicUsize::new(0));
/// let p = phases.clone();
/// let barrier = Arc::new(Barrier::with_action(3, Arc::new(move |_| {
///     p.fetch_add(1, Ordering::SeqCst);
/// })));
/// let workers: Vec<Task<()>> = (0..3)
///     .map(|_| {
///         let barrier = barrier.clone();
///         Task::run_async(async move {
///             for _ in 0..2 {
///                 barrier.signal_and_wait_async().await.unwrap();
///             }
///         })
///     })
///     .collect();
/// for w in workers { w.wait().unwrap(); }
/// assert_eq!(phases.load(Ordering::SeqCst), 2);
/// assert_eq!(barrier.current_phase_number(), 2);
/// ```
///
/// C#: `System.Threading.Barrier`.
pub struct Barrier {
    state: SpinLock<State>,
    action: Option<PostPhaseAction>,
    site: WaitSite,
}

impl Barrier {
    /// A barrier for `participants`.
    #[track_caller]
    pub fn new(participants: usize) -> Barrier {
        Barrier::build(participants, None)
    }

    /// A barrier with a post-phase action. C#: `new Barrier(count,
    /// postPhaseAction)`.
    #[track_caller]
    pub fn with_action(participants: usize, action: PostPhaseAction) -> Barrier {
        Barrier::build(participants, Some(action))
    }

    #[track_caller]
    fn build(participants: usize, action: Option<PostPhaseAction>) -> Barrier {
        Barrier {
            state: SpinLock::new(State {
                participants,
                arrived: 0,
                phase: 0,
                waiters: Waiters::new(),
                last_failure: None,
            }),
            action,
            site: WaitSite::here(WaitKind::Barrier),
        }
    }

    /// Participants. C#: `ParticipantCount`.
    pub fn participant_count(&self) -> usize {
        self.state.lock().participants
    }

    /// Participants not yet arrived this phase. C#:
    /// `ParticipantsRemaining`.
    pub fn participants_remaining(&self) -> usize {
        let s = self.state.lock();
        s.participants - s.arrived
    }

    /// Phases finished. C#: `CurrentPhaseNumber`.
    pub fn current_phase_number(&self) -> u64 {
        self.state.lock().phase
    }

    /// Adds participants; returns the phase they join. C#:
    /// `AddParticipants(int)`.
    pub fn add_participants(&self, n: usize) -> u64 {
        let mut s = self.state.lock();
        s.participants += n;
        s.phase
    }

    /// Removes participants (not below the ones arrived this phase, which
    /// may finish it). C#: `RemoveParticipants(int)`.
    pub fn remove_participants(&self, n: usize) -> Result<(), BarrierError> {
        let finished = {
            let mut s = self.state.lock();
            if n > s.participants - s.arrived {
                return Err(BarrierError::TooManyParticipants);
            }
            s.participants -= n;
            s.arrived > 0 && s.arrived == s.participants
        };
        if finished {
            self.finish_phase();
        }
        Ok(())
    }

    /// Signals this participant's arrival and waits for the others. Returns
    /// the phase it finished. C#: `SignalAndWait()` (the async form).
    pub fn signal_and_wait_async(&self) -> SignalAndWait<'_> {
        SignalAndWait {
            barrier: self,
            joined: None,
            watch: Watch::new(),
        }
    }

    /// Blocks in [`signal_and_wait_async`](Self::signal_and_wait_async).
    pub fn signal_and_wait(&self) -> Result<u64, BarrierError> {
        crate::block_on(self.signal_and_wait_async())
    }

    /// The last participant arrived: the action, then the next phase, then
    /// everyone released.
    fn finish_phase(&self) {
        let failure = self.action.as_ref().and_then(|a| {
            catch_unwind(AssertUnwindSafe(|| a(self)))
                .err()
                .map(|p| TaskError::from_panic_in(p, "a barrier's post-phase action"))
        });
        let mut wakers = Vec::new();
        {
            let mut s = self.state.lock();
            let finished = s.phase;
            s.phase += 1;
            s.arrived = 0;
            s.last_failure = failure.map(|e| (finished, e));
            s.waiters.notify_all(&mut wakers);
        }
        wake_all(wakers);
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("Barrier")
            .field("participants", &s.participants)
            .field("arrived", &s.arrived)
            .field("phase", &s.phase)
            .finish()
    }
}

/// The future of [`Barrier::signal_and_wait_async`].
#[must_use = "futures do nothing unless awaited"]
pub struct SignalAndWait<'a> {
    barrier: &'a Barrier,
    /// The phase it arrived in, and its place in the waiters.
    joined: Option<(u64, Option<WaitKey>)>,
    watch: Watch,
}

impl Future for SignalAndWait<'_> {
    type Output = Result<u64, BarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let b = this.barrier;
        let mut s = b.state.lock();
        let (phase, key) = match this.joined {
            Some(j) => j,
            None => {
                if s.arrived >= s.participants {
                    return Poll::Ready(Err(BarrierError::TooManyParticipants));
                }
                s.arrived += 1;
                let phase = s.phase;
                if s.arrived == s.participants {
                    drop(s);
                    this.joined = Some((phase, None));
                    b.finish_phase();
                    return Poll::Ready(outcome(&b.state.lock(), phase));
                }
                let key = s.waiters.push(cx.waker(), 0);
                this.joined = Some((phase, Some(key)));
                drop(s);
                this.watch.park(&b.site);
                return Poll::Pending;
            }
        };
        if s.phase > phase {
            if let Some(k) = key {
                s.waiters.remove(k);
            }
            this.joined = Some((phase, None));
            let r = outcome(&s, phase);
            drop(s);
            this.watch.clear();
            return Poll::Ready(r);
        }
        if let Some(k) = key {
            s.waiters.poll(k, cx.waker());
        }
        Poll::Pending
    }
}

fn outcome(s: &State, phase: u64) -> Result<u64, BarrierError> {
    match &s.last_failure {
        Some((p, e)) if *p == phase => Err(BarrierError::PostPhase(e.clone())),
        _ => Ok(phase),
    }
}

impl Drop for SignalAndWait<'_> {
    fn drop(&mut self) {
        // Dropped while waiting (canceled): its arrival is taken back, so
        // the phase still needs a participant (C#: a canceled
        // `SignalAndWait` does not count).
        if let Some((phase, Some(key))) = self.joined {
            let mut s = self.barrier.state.lock();
            s.waiters.remove(key);
            if s.phase == phase && s.arrived > 0 {
                s.arrived -= 1;
            }
        }
    }
}
