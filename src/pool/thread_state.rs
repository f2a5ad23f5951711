//! Whether a pool thread is asleep in the kernel: how the supervisor tells a
//! poll that blocks (a `std::thread::sleep`, a blocking read, a contended
//! lock) from one that computes. Linux reads the thread's state from
//! `/proc`; elsewhere no thread is known to sleep, so only .NET's
//! starvation rule applies there.

/// The calling thread's OS id (0 where unknown).
pub(crate) fn current_tid() -> i32 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no preconditions and cannot fail.
        unsafe { libc::gettid() }
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// True if thread `tid` of this process is asleep in the kernel now
/// (state `S`, interruptible sleep, or `D`, uninterruptible: waiting on a
/// timer, a socket, a disk, a futex). False if it runs or is runnable, or
/// if its state cannot be read.
pub(crate) fn is_asleep(tid: i32) -> bool {
    if tid == 0 {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        use std::io::Read;
        let mut buf = [0u8; 512];
        let Ok(mut f) = std::fs::File::open(format!("/proc/self/task/{tid}/stat")) else {
            return false;
        };
        let Ok(n) = f.read(&mut buf) else {
            return false;
        };
        matches!(parse_state(&buf[..n]), Some(b'S' | b'D'))
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The state letter of a `/proc/<pid>/task/<tid>/stat` line: the field after
/// the command name, which is in parentheses and may itself hold spaces
/// and parentheses (so the last `)` ends it).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_state(stat: &[u8]) -> Option<u8> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    stat.get(close + 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_state_after_the_last_parenthesis() {
        assert_eq!(parse_state(b"123 (worker) S 1 2 3"), Some(b'S'));
        assert_eq!(parse_state(b"123 (a) b) (c) R 1"), Some(b'R'));
        assert_eq!(parse_state(b"garbage"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_sleeping_thread_reads_as_asleep_and_a_spinning_one_does_not() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
        let tid = Arc::new(AtomicI32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sleeper = {
            let (tid, stop) = (tid.clone(), stop.clone());
            std::thread::spawn(move || {
                tid.store(current_tid(), SeqCst);
                while !stop.load(SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            })
        };
        while tid.load(SeqCst) == 0 {
            std::thread::yield_now();
        }
        // A sleeping thread is asleep nearly all the time: some sample
        // within a few tries must say so.
        let asleep = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(1));
            is_asleep(tid.load(SeqCst))
        });
        stop.store(true, SeqCst);
        sleeper.join().unwrap();
        assert!(asleep);
        // The calling thread is running while it asks.
        assert!(!is_asleep(current_tid()));
    }
}
