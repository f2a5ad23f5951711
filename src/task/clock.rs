//! A cheap monotonic clock for what diagnostics show of a task: when it was
//! created and when its last poll parked. Millisecond-grained (the kernel's
//! coarse clock on Linux: one read of a shared page, about 4 ns, against
//! about 20 ns for `Instant::now`), so stamping a task costs no more than a
//! counter.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The clock's zero: the first time anything read it.
fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

/// Nanoseconds since the clock's zero, coarse: in steps of the kernel's
/// tick (1–4 ms) on Linux, exact elsewhere. Never 0 (0 reads "never").
#[inline]
pub(crate) fn coarse_now() -> u64 {
    coarse_since_boot().saturating_sub(base_offset()).max(1)
}

/// `at` on the coarse clock's scale (for deadlines recorded on a task).
pub(crate) fn at(at: Instant) -> u64 {
    let since = at.saturating_duration_since(base());
    (since.as_nanos() as u64).max(1)
}

/// How long ago `stamp` (from [`coarse_now`]) was, as of `now`.
pub(crate) fn elapsed(stamp: u64, now: u64) -> Duration {
    Duration::from_nanos(now.saturating_sub(stamp))
}

/// The coarse clock's reading at the precise clock's zero, so both share
/// one scale.
fn base_offset() -> u64 {
    static OFFSET: OnceLock<u64> = OnceLock::new();
    *OFFSET.get_or_init(|| {
        let b = base();
        coarse_since_boot().saturating_sub(b.elapsed().as_nanos() as u64)
    })
}

#[cfg(target_os = "linux")]
#[inline]
fn coarse_since_boot() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC_COARSE
    // exists on every Linux since 2.6.32 and the call cannot fail with it.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

#[cfg(not(target_os = "linux"))]
#[inline]
fn coarse_since_boot() -> u64 {
    base().elapsed().as_nanos() as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn coarse_time_moves_forward_and_matches_instants() {
        let a = super::coarse_now();
        std::thread::sleep(std::time::Duration::from_millis(30));
        let b = super::coarse_now();
        assert!(b > a);
        let gap = super::elapsed(a, b);
        assert!(gap >= std::time::Duration::from_millis(20), "{gap:?}");
        let now = super::at(std::time::Instant::now());
        // The same scale, within the coarse clock's tick.
        assert!(now.abs_diff(super::coarse_now()) < 50_000_000);
    }
}
