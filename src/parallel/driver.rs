//! Runs a loop: participants (this thread and pool replicas) claim chunks
//! and run the body over them, each with its thread-local value; failures,
//! `stop`, `break_` and the token end it as .NET's loops end.

use super::options::{ParallelLoopResult, ParallelOptions};
use super::partition::{IterClaimer, RangeClaimer, grow};
use super::settings::{
    BLOCK, BLOCK_SPAN, MAX_BLOCK, MAX_SLOTS, REPLICATE_AFTER, SLOW_BLOCK, UNTIMED_MAX_BLOCK,
};
use super::state::{Control, ParallelLoopState};
use crate::pool::replicate::{Offer, thread_cpu_time};
use crate::task::{AggregateError, BoxError, CanceledError, InvalidOperationError, TaskError};
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who takes part: replicas queued one per other running worker (`base`),
/// more while bodies block their threads (up to `max`).
struct Team {
    pool: Arc<crate::pool::Shared>,
    base: usize,
    max: usize,
}

fn team(options: &ParallelOptions) -> Result<Team, AggregateError> {
    let handle = crate::runtime::Handle::current_or_default();
    let goal = handle.shared().goal().max(1);
    let on_worker = crate::pool::current_pool().is_some_and(|p| Arc::ptr_eq(&p, handle.shared()));
    // The caller takes part: on a worker it is one of the running workers.
    let others = if on_worker { goal - 1 } else { goal };
    let max = match options.max_degree_of_parallelism {
        Some(0) => {
            return Err(AggregateError::one(TaskError::new(
                InvalidOperationError::ZeroDegreeOfParallelism,
            )));
        }
        Some(d) => d - 1,
        None => usize::MAX,
    };
    Ok(Team {
        pool: handle.shared().clone(),
        base: others.min(max),
        max,
    })
}

/// Sizes a participant's blocks and watches them. A block is sized to take
/// about [`BLOCK_SPAN`]: doubled while blocks run shorter, halved while
/// they run longer (so light bodies run thousands of iterations between
/// looks at the loop's flags, heavy ones one or a few). A block that took
/// long with little CPU time means the body blocks its thread: one more
/// replica is offered, so the pool can add a worker and the new worker
/// takes part (CPU time is read only once blocks take long).
struct BlockWatch {
    started: Instant,
    cpu: Option<Duration>,
    /// Iterations in the next block.
    take: usize,
    /// Nested in another loop: blocks just double, to
    /// [`UNTIMED_MAX_BLOCK`], and no clock is read.
    untimed: bool,
}

impl BlockWatch {
    fn start(untimed: bool) -> BlockWatch {
        BlockWatch {
            started: Instant::now(),
            cpu: None,
            take: BLOCK,
            untimed,
        }
    }

    /// After a block: resizes the next one, and offers an extra replica if
    /// this one blocked.
    #[inline]
    fn next(&mut self, offer: &Offer<'_>) {
        if self.untimed {
            self.take = (self.take * 2).min(UNTIMED_MAX_BLOCK);
            return;
        }
        let now = Instant::now();
        let span = now - self.started;
        if span < BLOCK_SPAN / 2 {
            self.take = (self.take * 2).min(MAX_BLOCK);
        } else if span > BLOCK_SPAN * 2 {
            self.take = (self.take / 2).max(1);
        }
        if let Some(cpu0) = self.cpu {
            let cpu = thread_cpu_time().saturating_sub(cpu0);
            if span >= SLOW_BLOCK && cpu * 4 < span {
                offer.extra();
            }
        }
        self.cpu = (span >= SLOW_BLOCK).then(thread_cpu_time);
        self.started = now;
    }
}

/// The end of a loop: its failures first, then a cancellation, else how
/// it ended.
fn finish(
    control: &Control,
    canceled: bool,
    options: &ParallelOptions,
) -> Result<ParallelLoopResult, AggregateError> {
    if let Some(agg) = AggregateError::from_errors(control.take_errors()) {
        return Err(agg);
    }
    if canceled {
        return Err(AggregateError::one(TaskError::Canceled(
            CanceledError::with_token(options.cancellation_token.clone()),
        )));
    }
    let lowest_break_iteration = control.lowest_break();
    Ok(ParallelLoopResult {
        is_completed: !control.is_stopped() && lowest_break_iteration.is_none(),
        lowest_break_iteration,
    })
}

/// Runs `participate` on the team. The token is looked at between blocks
/// (`still_going`), which costs one load and no registration.
fn run(
    options: &ParallelOptions,
    team: Team,
    alone: bool,
    control: &Control,
    participate: &(dyn Fn(&Offer<'_>) + Sync),
) -> Result<ParallelLoopResult, AggregateError> {
    let token = &options.cancellation_token;
    if token.is_cancellation_requested() {
        return finish(control, true, options);
    }
    if alone {
        // Nested in a loop that keeps every worker busy: no replica (the
        // range loop also publishes nothing then).
        crate::pool::replicate::run_alone(participate);
    } else {
        crate::pool::replicate::replicate_on_pool(
            team.pool,
            team.base,
            team.max,
            REPLICATE_AFTER,
            participate,
        );
    }
    finish(control, control.saw_cancellation(), options)
}

/// True if the loop goes on: nothing ended it, and the token has not fired
/// (if it has, the loop ends as cancelled).
#[inline]
fn still_going(control: &Control, token: &crate::cancel::CancellationToken) -> bool {
    if token.is_cancellation_requested() {
        control.cancel();
        return false;
    }
    !control.ended()
}

/// The body's `Err` or panic, as the loop records it.
fn record(control: &Control, r: std::thread::Result<Result<(), BoxError>>) {
    match r {
        Ok(Ok(())) => {}
        Ok(Err(e)) => control.fail(TaskError::new(e)),
        Err(p) => control.fail(TaskError::from_panic(p)),
    }
}

/// A range loop with a thread-local value per participant. `block` runs
/// the body over a block of at most [`BLOCK`] iterations, setting the
/// state's index for each (the loop looks at its flags between blocks).
pub(crate) fn range<L, I, B, F>(
    range: Range<usize>,
    options: &ParallelOptions,
    local_init: I,
    block: B,
    local_finally: F,
) -> Result<ParallelLoopResult, AggregateError>
where
    I: Fn() -> L + Sync,
    B: Fn(Range<usize>, &ParallelLoopState<'_>, &mut L) -> Result<(), BoxError> + Sync,
    F: Fn(L) + Sync,
{
    let team = team(options)?;
    let control = Control::new();
    let token = &options.cancellation_token;
    if range.is_empty() {
        return finish(
            &control,
            options.cancellation_token.is_cancellation_requested(),
            options,
        );
    }
    let nested = crate::pool::replicate::nested();
    let alone = nested && !team.pool.has_capacity();
    // A slot for each participant likely to join: the base replicas, the
    // caller, and a few more for bodies that block.
    let slots = if alone {
        0
    } else {
        (team.base + 5).min(MAX_SLOTS)
    };
    let claimer = RangeClaimer::new(range, slots);
    let participate = |offer: &Offer<'_>| {
        let state = ParallelLoopState::new(&control);
        // A nested loop's blocks go untimed: its outer loop watches for
        // blocking bodies, and short inner loops would pay more for the
        // clock than for their work.
        let mut watch = BlockWatch::start(nested);
        let mut local: Option<L> = None;
        let me = claimer.join();
        while still_going(&control, token) {
            let participants = || {
                offer.more();
                offer.participants()
            };
            let Some(segment) = claimer.next(me, watch.take, participants) else {
                break;
            };
            if !control.may_run(segment.start) {
                if control.ended() {
                    break;
                }
                // Above a break: need not run; nor does the rest of the slot.
                claimer.drop_slot(me);
                continue;
            }
            if local.is_none() {
                match catch_unwind(AssertUnwindSafe(&local_init)) {
                    Ok(l) => local = Some(l),
                    Err(p) => {
                        control.fail(TaskError::from_panic(p));
                        break;
                    }
                }
            }
            let Some(l) = local.as_mut() else { break };
            let r = catch_unwind(AssertUnwindSafe(|| {
                if me.is_some() {
                    // A published segment is one block.
                    block(segment, &state, l)?;
                    watch.next(offer);
                    offer.more();
                    return Ok(());
                }
                // Unpublished (alone, or a huge range): the chunk in blocks,
                // looking at the flags between them.
                let mut at = segment.start;
                while at < segment.end {
                    if token.is_cancellation_requested() {
                        control.cancel();
                    }
                    if !control.may_run(at) {
                        break;
                    }
                    let end = (at + watch.take).min(segment.end);
                    block(at..end, &state, l)?;
                    watch.next(offer);
                    offer.more();
                    at = end;
                }
                Ok(())
            }));
            record(&control, r);
        }
        if let Some(l) = local
            && let Err(p) = catch_unwind(AssertUnwindSafe(|| local_finally(l)))
        {
            control.fail(TaskError::from_panic(p));
        }
    };
    run(options, team, alone, &control, &participate)
}

/// A loop over an iterator's items, claimed in growing chunks.
pub(crate) fn iter<It, B>(
    items: It,
    options: &ParallelOptions,
    body: B,
) -> Result<ParallelLoopResult, AggregateError>
where
    It: Iterator + Send,
    It::Item: Send,
    B: Fn(It::Item, &ParallelLoopState<'_>) -> Result<(), BoxError> + Sync,
{
    let team = team(options)?;
    let control = Control::new();
    let token = &options.cancellation_token;
    let claimer = IterClaimer::new(items);
    let participate = |offer: &Offer<'_>| {
        let state = ParallelLoopState::new(&control);
        let mut watch = BlockWatch::start(false);
        let mut chunk = Vec::new();
        let mut want = 1;
        while still_going(&control, token) {
            offer.more();
            let Some(first) = claimer.claim(want, &mut chunk) else {
                break;
            };
            want = grow(want);
            if !control.may_run(first) {
                break;
            }
            let r = catch_unwind(AssertUnwindSafe(|| {
                for (k, item) in chunk.drain(..).enumerate() {
                    let i = first + k;
                    if !control.may_run(i) {
                        break;
                    }
                    state.set_index(i);
                    body(item, &state)?;
                    watch.next(offer);
                }
                Ok(())
            }));
            record(&control, r);
        }
    };
    run(options, team, false, &control, &participate)
}
