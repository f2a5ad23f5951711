//! Tour section: cooperative cancellation and time — a token stopping a
//! delay, callbacks running last-registered-first, a linked token, a
//! timeout, and work that never starts because its token was cancelled.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tasklane::time::{delay, timeout};
use tasklane::{CancellationTokenSource, Task, block_on};

pub fn run() {
    token_stops_a_delay();
    callbacks_run_lifo();
    linked_token();
    a_timeout();
    never_started();
}

fn token_stops_a_delay() {
    let cts = CancellationTokenSource::new();
    let start = Instant::now();
    let nap = Task::delay_with_token(Duration::from_secs(3600), &cts.token());
    println!(
        "Task::delay_with_token(1 hour, token) is a pending promise: {:?}",
        nap.status()
    );
    cts.cancel_after(Duration::from_millis(50));
    let outcome = nap.wait();
    println!(
        "cancel_after(50 ms) fired: the delay ended {:?} after {} ms, not an hour",
        nap.status(),
        start.elapsed().as_millis()
    );
    if let Err(errors) = outcome {
        println!("waiting on it reports: \"{}\"", errors.first());
    }
    println!(
        "its timer was freed the moment the token fired: {} timers armed now",
        tasklane::time::active_count()
    );
}

fn callbacks_run_lifo() {
    let cts = CancellationTokenSource::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let registrations: Vec<_> = ["close the socket", "flush the log", "stop the timer"]
        .into_iter()
        .map(|what| {
            let log = log.clone();
            println!("register: {what}");
            cts.token().register(move || log.lock().unwrap().push(what))
        })
        .collect();
    cts.cancel().unwrap();
    println!(
        "cancel() ran them on this thread, last registered first: {:?}",
        log.lock().unwrap()
    );
    let late = cts
        .token()
        .register(|| println!("registered after cancel: runs at once, inline"));
    drop((registrations, late));

    let cts = CancellationTokenSource::new();
    let _a = cts.token().register(|| panic!("callback A failed"));
    let _b = cts
        .token()
        .register(|| println!("callback B runs: C's panic (C ran first) did not stop it"));
    let _c = cts.token().register(|| panic!("callback C failed"));
    match cts.cancel() {
        Ok(()) => println!("unexpected: no failures"),
        Err(errors) => println!(
            "cancel() ran every callback, then returned {} failures together: {}",
            errors.len(),
            errors
        ),
    }
}

fn linked_token() {
    let app = CancellationTokenSource::new();
    let request = CancellationTokenSource::new();
    let either =
        CancellationTokenSource::create_linked_token_source(&[&app.token(), &request.token()]);
    println!("a linked source watches the app's token and the request's token");
    app.cancel().unwrap();
    println!(
        "the app shuts down: linked cancelled = {}, request cancelled = {}",
        either.is_cancellation_requested(),
        request.is_cancellation_requested()
    );
    let never = tasklane::CancellationToken::none();
    println!(
        "CancellationToken::none() can be cancelled? {}",
        never.can_be_canceled()
    );
}

fn a_timeout() {
    let slow = async {
        delay(Duration::from_secs(3600)).await;
        "finished"
    };
    let start = Instant::now();
    match block_on(timeout(Duration::from_millis(40), slow)) {
        Ok(v) => println!("unexpected: {v}"),
        Err(e) => println!(
            "timeout(40 ms, an hour-long future): \"{e}\" after {} ms",
            start.elapsed().as_millis()
        ),
    }
    let quick = block_on(timeout(Duration::from_secs(1), async { "ready" }));
    println!("timeout(1 s, a ready future): {quick:?} (a ready future never arms a timer)");
}

fn never_started() {
    let cts = CancellationTokenSource::new();
    cts.cancel().unwrap();
    let work = Task::run_with_token(|| println!("this line never prints"), &cts.token());
    println!(
        "Task::run_with_token with an already-cancelled token: {:?}, and the work never ran",
        work.status()
    );
}
