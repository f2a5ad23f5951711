//! The runtime's counters through the `metrics` facade, read back from a
//! real recorder (metrics-util's debugging recorder, installed for the
//! process as an exporter would be).

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use std::time::{Duration, Instant};

#[test]
fn the_publisher_records_every_counter_under_its_dotnet_name() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");
    let rt = tasklane::Runtime::builder()
        .worker_threads(3)
        .build()
        .unwrap();
    for _ in 0..10 {
        rt.run(|| ()).wait().unwrap();
    }
    let publisher =
        tasklane::diag::publish_metrics(rt.handle(), "test", Duration::from_millis(10)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let values = loop {
        let snapshot = snapshotter.snapshot().into_vec();
        let values: Vec<(String, String, DebugValue)> = snapshot
            .into_iter()
            .map(|(key, _, _, value)| {
                let k = key.key();
                let label = k
                    .labels()
                    .find(|l| l.key() == "runtime")
                    .map(|l| l.value().to_owned())
                    .unwrap_or_default();
                (k.name().to_owned(), label, value)
            })
            .collect();
        // A worker publishes its poll count a moment after the poll: wait
        // until the publisher has seen all ten.
        let counted = values.iter().any(|(n, l, v)| {
            n == "threadpool-completed-items-count"
                && l == "test"
                && matches!(v, DebugValue::Counter(c) if *c >= 10)
        });
        if (values.len() >= 10 && counted) || Instant::now() > deadline {
            break values;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    drop(publisher);
    let get = |name: &str| {
        values
            .iter()
            .find(|(n, l, _)| n == name && l == "test")
            .map(|(_, _, v)| v)
            .unwrap_or_else(|| panic!("{name} was not recorded: {values:?}"))
    };
    assert_eq!(
        *get("threadpool-thread-count"),
        DebugValue::Gauge(3.0.into())
    );
    match get("threadpool-completed-items-count") {
        DebugValue::Counter(n) => assert!(*n >= 10, "{n}"),
        other => panic!("{other:?}"),
    }
    for name in [
        "threadpool-queue-length",
        "active-timer-count",
        "tasklane-live-task-count",
        "tasklane-blocked-thread-count",
        "tasklane-starvation-event-count",
        "tasklane-unobserved-fault-count",
        "tasklane-unhandled-error-count",
        "tasklane-slow-poll-count",
    ] {
        get(name);
    }
}
