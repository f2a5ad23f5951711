//! 1,000 connections open at once on one 2-worker runtime, each echoing a
//! message; afterwards no task and no file descriptor is left behind.
//!
//! That is over 2,000 file descriptors, past the usual soft limit of 1,024:
//! the test raises its soft `RLIMIT_NOFILE` to the hard limit first, and
//! where even that is too low it opens fewer connections and says so.

mod common;

use common::{assert_no_leaks, open_fds, runtime, serial, start_default_runtime, with_deadline};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tasklane::net::{TcpListener, TcpStream};
use tasklane::{Task, TaskCompletionSource};

const CONNECTIONS: usize = 1_000;
/// File descriptors besides the connections' two each: the listener, the
/// runtimes' epoll and eventfds, the test harness's own.
const OTHER_FDS: usize = 64;
/// Threads the process may gain while the connections are open: the
/// supervisor's compensation on a noisy machine, never one per connection.
const THREAD_ALLOWANCE: usize = 4;

/// Raises this process's soft limit on open files to its hard limit, and
/// returns the soft limit now in force.
fn raise_open_file_limit() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    let r = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(
        r,
        0,
        "getrlimit(RLIMIT_NOFILE): {}",
        std::io::Error::last_os_error()
    );
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: `raised` is a valid rlimit; raising the soft limit up to
        // the hard one needs no privilege.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        } else {
            // macOS refuses an unlimited hard limit as the soft one: ask
            // for what the test needs instead.
            let wanted = libc::rlimit {
                rlim_cur: lim
                    .rlim_max
                    .min((2 * CONNECTIONS + OTHER_FDS) as libc::rlim_t),
                rlim_max: lim.rlim_max,
            };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
                lim = wanted;
            }
        }
    }
    usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX)
}

/// How many connections fit under the open-file limit: `CONNECTIONS`,
/// else as many as fit, with a note.
fn connections_that_fit() -> usize {
    let limit = raise_open_file_limit();
    let room = limit.saturating_sub(open_fds() + OTHER_FDS) / 2;
    if room >= CONNECTIONS {
        return CONNECTIONS;
    }
    let n = room.max(1);
    eprintln!(
        "net_many: the open-file limit is {limit} even after raising the soft limit to \
         the hard one; opening {n} connections instead of {CONNECTIONS}"
    );
    n
}

#[test]
fn a_thousand_concurrent_connections_echo_and_leave_nothing_behind() {
    let connections = connections_that_fit();
    with_deadline("1000 connections", move || {
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        // After the runtime: its epoll fd, epoll clone and eventfd are its own.
        let fds = open_fds();
        let threads_before = thread_count();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = Task::run_async(async move {
                let mut handlers = Vec::with_capacity(connections);
                for _ in 0..connections {
                    let (mut conn, _) = listener.accept().await.unwrap();
                    handlers.push(Task::run_async(async move {
                        let mut buf = [0u8; 8];
                        loop {
                            match conn.read(&mut buf).await {
                                Ok(0) => return,
                                Ok(n) => conn.write_all(&buf[..n]).await.unwrap(),
                                Err(e) => panic!("server read: {e}"),
                            }
                        }
                    }));
                }
                for h in handlers {
                    h.await.unwrap();
                }
            });
            // Every client holds its connection open until all are open;
            // the last one to open releases them all.
            let all_open = Arc::new(TaskCompletionSource::<()>::new());
            let open = Arc::new(AtomicUsize::new(0));
            let clients: Vec<_> = (0..connections)
                .map(|i| {
                    let all_open = all_open.clone();
                    let open = open.clone();
                    Task::run_async(async move {
                        let mut conn = TcpStream::connect(addr).await.unwrap();
                        let msg = (i as u64).to_le_bytes();
                        conn.write_all(&msg).await.unwrap();
                        let mut back = [0u8; 8];
                        conn.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg);
                        if open.fetch_add(1, Ordering::SeqCst) + 1 == connections {
                            all_open.set_result(()).unwrap();
                        }
                        all_open.task().await.unwrap();
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            server.await.unwrap();
        });
        // 2 sockets per connection and no thread per connection. The pool
        // may still add a thread or two on a loaded machine: the supervisor
        // compensates a poll it sees asleep in the kernel (a contended lock,
        // a page fault) with work queued. That is its job, not a thread per
        // connection, so a small allowance is not a failure.
        let grown = thread_count().saturating_sub(threads_before);
        assert!(
            grown <= THREAD_ALLOWANCE,
            "threads grew by {grown} (from {threads_before}) for {connections} connections"
        );
        assert_no_leaks(&rt, fds, "1000 connections");
    });
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}
