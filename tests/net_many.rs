//! 10,000 connections open at once: an echo server on a 2-worker runtime
//! in a child process, its clients on a 2-worker runtime here. Every
//! connection echoes a message and stays open until all are open; no
//! error, no thread per connection, and afterwards no task and no file
//! descriptor left behind on either side.
//!
//! That is over 10,000 file descriptors in each process, past the usual
//! soft limit: each raises its `RLIMIT_NOFILE` (to the hard limit, or past
//! it as root) first, and fails saying how to allow it where it cannot.

mod common;

use common::child::{child_only, finish, read_value, spawn};
use common::{assert_no_leaks, open_fds, runtime, serial, start_default_runtime, with_deadline};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tasklane::net::{TcpListener, TcpStream};
use tasklane::{Task, TaskCompletionSource};

const CONNECTIONS: usize = 10_000;
/// File descriptors besides one per connection: the listener, the
/// runtimes' epoll and eventfds, the test harness's own.
const OTHER_FDS: usize = 128;
/// Threads a process may gain while the connections are open: the
/// supervisor's compensation on a noisy machine, never one per connection.
const THREAD_ALLOWANCE: usize = 4;

/// Raises this process's limit on open files to what `connections` need
/// (the hard limit too, where allowed), failing the test if it cannot.
fn allow_open_files(connections: usize) {
    let needed = (connections + OTHER_FDS + open_fds()) as libc::rlim_t;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur < needed {
        let raised = libc::rlimit {
            rlim_cur: needed,
            rlim_max: lim.rlim_max.max(needed),
        };
        // SAFETY: `raised` is a valid rlimit; the soft limit may rise up to
        // the hard one freely, the hard one only with CAP_SYS_RESOURCE.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    assert!(
        lim.rlim_cur >= needed,
        "{connections} connections need {needed} open files in this process, the limit is {}: raise it (ulimit -n {needed}), or run as root",
        lim.rlim_cur
    );
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn ten_thousand_concurrent_connections_echo_and_leave_nothing_behind() {
    allow_open_files(CONNECTIONS);
    with_deadline("10,000 connections", || {
        let mut server = spawn("echo_server_child");
        let (port, rest) = read_value(&mut server, "port");
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port.parse().unwrap()));
        let _s = serial();
        start_default_runtime();
        let rt = runtime();
        let fds = open_fds();
        let threads_before = thread_count();
        rt.block_on(async {
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|i| {
                    Task::run_async(async move {
                        let mut conn = TcpStream::connect(addr).await.unwrap();
                        let msg = (i as u64).to_le_bytes();
                        conn.write_all(&msg).await.unwrap();
                        let mut back = [0u8; 8];
                        conn.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg);
                        // Open until every connection is: the server closes
                        // them all once each has echoed.
                        assert_eq!(conn.read(&mut back).await.unwrap(), 0);
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
        });
        let grown = thread_count().saturating_sub(threads_before);
        assert!(
            grown <= THREAD_ALLOWANCE,
            "client threads grew by {grown} (from {threads_before}) for {CONNECTIONS} connections"
        );
        assert_no_leaks(&rt, fds, "10,000 connections, clients");
        let (out, _) = finish(server, Some(rest));
        assert!(out.contains(&format!("served {CONNECTIONS}")), "{out}");
    });
}

/// The server: accepts [`CONNECTIONS`] connections, echoes one message on
/// each, and once all have echoed closes them (so the closed connections
/// wait in TIME_WAIT on the server's port, not on the clients' ephemeral
/// ports, which a rerun soon after would find used up).
#[test]
#[ignore = "run as a child process by ten_thousand_concurrent_connections_echo_and_leave_nothing_behind"]
fn echo_server_child() {
    child_only("echo_server_child");
    allow_open_files(CONNECTIONS);
    let rt = runtime();
    let fds = open_fds();
    let threads_before = thread_count();
    let listener = rt
        .block_on(async { TcpListener::bind("127.0.0.1:0") })
        .unwrap();
    println!("port {}", listener.local_addr().unwrap().port());
    let served = rt.block_on(async move {
        let all_echoed = Arc::new(TaskCompletionSource::<()>::new());
        let echoed = Arc::new(AtomicUsize::new(0));
        let mut handlers = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let (mut conn, _) = listener.accept().await.unwrap();
            let (all_echoed, echoed) = (all_echoed.clone(), echoed.clone());
            handlers.push(Task::run_async(async move {
                let mut buf = [0u8; 8];
                conn.read_exact(&mut buf).await.unwrap();
                conn.write_all(&buf).await.unwrap();
                if echoed.fetch_add(1, Ordering::SeqCst) + 1 == CONNECTIONS {
                    all_echoed.set_result(()).unwrap();
                }
                (&all_echoed.task()).await.unwrap();
            }));
        }
        let mut served = 0;
        for h in handlers {
            h.await.unwrap();
            served += 1;
        }
        served
    });
    let grown = thread_count().saturating_sub(threads_before);
    assert!(
        grown <= THREAD_ALLOWANCE,
        "server threads grew by {grown} (from {threads_before}) for {CONNECTIONS} connections"
    );
    assert_no_leaks(&rt, fds, "10,000 connections, server");
    println!("served {served}");
}
