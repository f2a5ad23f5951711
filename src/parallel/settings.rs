//! The tunable numbers of `Parallel`, in one place.

/// A range is handed out in chunks of (what is left) ÷ (participants ×
/// this): large chunks first, smaller ones towards the end, so an uneven
/// loop still ends with every participant busy (guided self-scheduling).
pub(crate) const CHUNKS_PER_PARTICIPANT: usize = 4;

/// The largest chunk a participant takes from an iterator (not a range) at
/// once; chunks grow 1, 2, 4, … up to this, as .NET's chunk partitioner's.
pub(crate) const MAX_ITERATOR_CHUNK: usize = 512;

/// A participant's first block: iterations run back to back between two
/// looks at the loop's flags (stop, break, failure, cancellation); the loop
/// over them has no atomic access, so a light body compiles to a tight
/// (even vectorized) loop. Blocks then grow or shrink toward [`BLOCK_SPAN`].
pub(crate) const BLOCK: usize = 64;

/// The time a block aims to take: how late, at most about, a participant
/// sees a `stop`, a failure or the token, and how much a thief leaves a
/// preempted participant at worst.
pub(crate) const BLOCK_SPAN: std::time::Duration = std::time::Duration::from_micros(100);

/// The largest block.
pub(crate) const MAX_BLOCK: usize = 1 << 16;

/// Participants that publish their chunk for others to steal from; more
/// run without (their chunks are guided, so still small near the end).
pub(crate) const MAX_SLOTS: usize = 64;

/// A block of iterations taking longer than this, with less than a quarter
/// of it spent on the CPU (a thread merely sharing a core with others gets
/// more), means the body blocks its thread: the loop then
/// offers the pool one more participant (see `pool::replicate`).
pub(crate) const SLOW_BLOCK: std::time::Duration = std::time::Duration::from_millis(10);

/// The largest block of a nested loop run alone (its blocks are not
/// timed): how many iterations, at most, start after a stop is seen there.
pub(crate) const UNTIMED_MAX_BLOCK: usize = 1024;

/// A loop asks the pool for other workers only once it has run this long:
/// one that ends sooner (a short inner loop) would pay more for queuing
/// and waking a worker than it would gain.
pub(crate) const REPLICATE_AFTER: std::time::Duration = std::time::Duration::from_micros(20);
