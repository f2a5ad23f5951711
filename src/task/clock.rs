//! A cheap monotonic clock for what diagnostics show of a task: when it was
//! created and when its last poll parked. Millisecond-grained: the kernel's
//! coarse clock on Linux (one read of a shared page, about 4 ns, against
//! about 20 ns for `Instant::now`), kept in 32 bits, so stamping a task
//! costs no more than a counter and four bytes. Stamps compare with
//! wrapping arithmetic: any age below 49 days reads right.

use std::time::{Duration, Instant};

/// Milliseconds on the coarse clock, wrapping at 2^32; never 0 (0 reads
/// "never").
#[inline]
pub(crate) fn stamp() -> u32 {
    (coarse_ms() as u32).max(1)
}

/// The time from `stamp` to `now` (both from [`stamp`]).
pub(crate) fn since(stamp: u32, now: u32) -> Duration {
    Duration::from_millis(u64::from(now.wrapping_sub(stamp)))
}

/// `deadline`, read against `now` on the same clock, on the coarse clock's
/// millisecond scale (64 bits: a deadline recorded on a task).
pub(crate) fn deadline_ms(deadline: Instant, now: Instant) -> u64 {
    let ahead = deadline.saturating_duration_since(now).as_millis() as u64;
    coarse_ms().saturating_add(ahead).max(1)
}

/// How long until a deadline from [`deadline_ms`].
pub(crate) fn until(deadline_ms: u64) -> Duration {
    Duration::from_millis(deadline_ms.saturating_sub(coarse_ms()))
}

#[cfg(target_os = "linux")]
#[inline]
fn coarse_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC_COARSE
    // exists on every Linux since 2.6.32 and the call cannot fail with it.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1000)
        .wrapping_add(ts.tv_nsec as u64 / 1_000_000)
}

#[cfg(not(target_os = "linux"))]
#[inline]
fn coarse_ms() -> u64 {
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    BASE.get_or_init(Instant::now).elapsed().as_millis() as u64
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    #[test]
    fn stamps_move_forward_and_deadlines_count_down() {
        let a = super::stamp();
        std::thread::sleep(Duration::from_millis(30));
        let b = super::stamp();
        let gap = super::since(a, b);
        assert!(gap >= Duration::from_millis(20), "{gap:?}");
        assert_eq!(super::since(u32::MAX - 4, 5), Duration::from_millis(10));
        let now = Instant::now();
        let due = super::deadline_ms(now + Duration::from_secs(10), now);
        let left = super::until(due);
        assert!(left <= Duration::from_secs(10) && left > Duration::from_secs(9));
    }
}
