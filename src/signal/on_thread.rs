//! A signal handled on a thread of its own, for diagnostics: the handler
//! writes one byte to a pipe; the thread, blocked reading it, runs the
//! action. Nothing of the runtime is needed for it to run (no reactor, no
//! pool), so it answers when every worker is stuck, which is when a dump
//! is wanted.

use std::io;

/// Runs `action` on a thread named `thread_name` each time `signum` is
/// delivered (deliveries that come while it runs are merged).
pub(crate) fn run_on_signal(
    signum: libc::c_int,
    thread_name: String,
    action: Box<dyn Fn() + Send>,
) -> io::Result<()> {
    let (read_fd, write_fd) = pipe()?;
    let thread = std::thread::Builder::new()
        .name(thread_name)
        .spawn(move || {
            let mut buf = [0u8; 64];
            loop {
                // SAFETY: reads into a live stack buffer of the length we
                // pass, from a pipe fd this thread owns until it exits.
                let n = unsafe { libc::read(read_fd, buf.as_mut_ptr().cast(), buf.len()) };
                if n > 0 {
                    action();
                } else if n == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted
                {
                    return;
                }
            }
        })?;
    drop(thread);
    let handler = move || {
        let byte = 1u8;
        // SAFETY: writes one byte from a live stack variable to a
        // non-blocking pipe fd that stays open for the process's lifetime;
        // write is async-signal-safe. A full pipe (EAGAIN) is fine: a run of
        // the action is already due.
        unsafe { libc::write(write_fd, (&raw const byte).cast(), 1) };
    };
    // SAFETY: the handler only calls write(2): async-signal-safe, no
    // allocation, no lock.
    unsafe { signal_hook_registry::register(signum, handler) }.map(drop)
}

/// A pipe: blocking read end, non-blocking write end, both close-on-exec.
fn pipe() -> io::Result<(libc::c_int, libc::c_int)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a writable array of two ints, as pipe(2) requires.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    for (fd, nonblocking) in [(fds[0], false), (fds[1], true)] {
        // SAFETY: fcntl on descriptors we just created; these commands only
        // set flags.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            if nonblocking {
                let flags = libc::fcntl(fd, libc::F_GETFL);
                libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
            }
        }
    }
    Ok((fds[0], fds[1]))
}
