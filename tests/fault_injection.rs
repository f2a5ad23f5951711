//! The runtime under resource exhaustion, injected for real in a child
//! process (`common::child`): out of file descriptors (`RLIMIT_NOFILE` lowered), and out of
//! threads (`RLIMIT_NPROC` lowered after dropping root, which the kernel
//! exempts from it).

mod common;

use common::DEADLINE;
use common::child::{child_only, finish, read_value, spawn};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::Runtime;
use tasklane::net::{TcpListener, TcpStream};

fn cpu_time() -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

const CLIENTS: usize = 40;

#[test]
fn an_accept_loop_out_of_descriptors_backs_off_and_recovers() {
    let mut child = spawn("emfile_child");
    let (port, rest) = read_value(&mut child, "port");
    let port: u16 = port.parse().unwrap();
    // The connections complete in the kernel's backlog whether or not the
    // child can accept them yet.
    let clients: Vec<std::net::TcpStream> = (0..CLIENTS)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let (out, err) = finish(child, Some(rest));
    drop(clients);
    assert!(out.contains(&format!("accepted {CLIENTS}")), "{out}");
    assert_eq!(
        err.matches("failed: Too many open files").count(),
        1,
        "one report for the episode:\n{err}"
    );
}

/// The child: accepts with too few descriptors, checks that the loop does
/// not spin and that `connect` returns the error, then frees descriptors
/// and checks that every connection gets accepted.
#[test]
#[ignore = "run as a child process by an_accept_loop_out_of_descriptors_backs_off_and_recovers"]
fn emfile_child() {
    child_only("emfile_child");
    let rt = Runtime::builder().worker_threads(2).build().unwrap();
    let _enter = rt.handle().enter();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let fds = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    let limit = libc::rlimit {
        rlim_cur: fds + 12,
        rlim_max: fds + 4096,
    };
    // SAFETY: setrlimit reads the struct we pass.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    // Accepted connections are held (using up the descriptors) until the
    // loop is told to let them go.
    let held = Arc::new(Mutex::new(Some(Vec::<TcpStream>::new())));
    let sink = held.clone();
    let accept_loop = tasklane::Task::run_async(async move {
        let mut accepted = 0;
        while accepted < CLIENTS {
            let (s, _) = listener.accept().await.expect("accept never fails here");
            if let Some(held) = sink.lock().unwrap().as_mut() {
                held.push(s);
            }
            accepted += 1;
        }
    });
    let held_now = || held.lock().unwrap().as_ref().map_or(0, Vec::len);
    println!("port {}", addr.port());
    // Until the parent's connections arrive and the descriptors run out.
    let arrived = Instant::now();
    while held_now() == 0 {
        assert!(arrived.elapsed() < DEADLINE, "no connection arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut last = 0;
    let mut still = Instant::now();
    while still.elapsed() < Duration::from_millis(300) {
        let n = held_now();
        if n != last {
            last = n;
            still = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        last < CLIENTS,
        "the limit stopped accepting ({last} accepted)"
    );
    // Exhausted: the loop waits instead of spinning.
    let cpu = cpu_time();
    std::thread::sleep(Duration::from_secs(1));
    let spent = cpu_time() - cpu;
    assert!(
        spent < Duration::from_millis(300),
        "spinning: {spent:?} of CPU in 1 s"
    );
    // A connect out of descriptors is the error, not a panic.
    let err = rt
        .block_on(TcpStream::connect(addr))
        .expect_err("no descriptor for a new socket");
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
    // Descriptors free up: the loop recovers and takes (and closes) the rest.
    held.lock().unwrap().take();
    assert!(
        accept_loop.wait_timeout(Duration::from_secs(30)),
        "recovered"
    );
    accept_loop.wait().unwrap();
    println!("accepted {CLIENTS} (cpu while exhausted {spent:?})");
}

#[test]
fn the_pool_goes_on_when_the_os_refuses_a_thread() {
    let child = spawn("thread_refused_child");
    let (out, err) = finish(child, None);
    assert!(out.contains("every task completed"), "{out}");
    assert_eq!(
        err.matches("could not start a thread").count(),
        1,
        "one report while the OS refuses threads:\n{err}"
    );
}

/// The child: a one-worker pool whose tasks block, so the pool wants to add
/// threads, in a process the OS will give no new thread.
#[test]
#[ignore = "run as a child process by the_pool_goes_on_when_the_os_refuses_a_thread"]
fn thread_refused_child() {
    child_only("thread_refused_child");
    let rt = Runtime::builder().worker_threads(1).build().unwrap();
    // The timer thread is shared and starts on first use: start it now.
    rt.block_on(tasklane::time::delay(Duration::from_millis(1)));
    let threads = std::fs::read_dir("/proc/self/task").unwrap().count() as u64;
    // Root is exempt from RLIMIT_NPROC: become nobody, whose processes are
    // this process's threads, and allow no more of them.
    let limit = libc::rlimit {
        rlim_cur: threads,
        rlim_max: threads,
    };
    // SAFETY: plain syscalls on this process; glibc applies the ids to
    // every thread.
    unsafe {
        assert_eq!(libc::setrlimit(libc::RLIMIT_NPROC, &limit), 0);
        assert_eq!(libc::setresgid(65534, 65534, 65534), 0);
        assert_eq!(libc::setresuid(65534, 65534, 65534), 0);
    }
    assert!(
        std::thread::Builder::new().spawn(|| ()).is_err(),
        "the OS refuses new threads now"
    );
    let blockers: Vec<_> = (0..4)
        .map(|_| rt.run(|| tasklane::blocking(|| std::thread::sleep(Duration::from_millis(100)))))
        .collect();
    let short: Vec<_> = (0..20).map(|i| rt.run(move || i)).collect();
    for t in blockers {
        assert!(t.wait_timeout(DEADLINE));
    }
    for (i, t) in short.into_iter().enumerate() {
        assert_eq!(t.result().unwrap(), i);
    }
    assert_eq!(rt.handle().worker_count(), 1);
    println!("every task completed on the threads the pool had");
}
