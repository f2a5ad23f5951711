//! tokio-console sees tasklane's tasks: `console-subscriber` runs in this
//! process as a real console would be served, and its gRPC API (the one
//! the `tokio-console` TUI reads) is asked for the task list.

use console_api::field::{Name, Value};
use console_api::instrument::InstrumentRequest;
use console_api::instrument::instrument_client::InstrumentClient;
use std::time::{Duration, Instant};
use tasklane::{Task, TaskCompletionSource};
use tracing_subscriber::prelude::*;

#[test]
fn the_console_lists_tasklane_tasks_with_their_names_locations_polls_and_timers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (layer, server) = console_subscriber::ConsoleLayer::builder()
        .server_addr(([127, 0, 0, 1], port))
        .publish_interval(Duration::from_millis(50))
        .build();
    tracing_subscriber::registry().with(layer).init();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    tokio.spawn(async move { server.serve().await.expect("the console server") });

    let rt = tasklane::Runtime::builder()
        .worker_threads(2)
        .build()
        .unwrap();
    let gate = TaskCompletionSource::<()>::new();
    let open = gate.task();
    let enter = rt.handle().enter();
    let waiting = Task::builder()
        .name("console-visible")
        .run_async(async move {
            tasklane::time::delay(Duration::from_millis(20)).await;
            open.await.unwrap();
        });
    drop(enter);

    let (task, polls, timer) = tokio.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut client = loop {
            match InstrumentClient::connect(format!("http://127.0.0.1:{port}")).await {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("the console server did not come up: {e}"),
            }
        };
        let mut updates = client
            .watch_updates(InstrumentRequest {})
            .await
            .unwrap()
            .into_inner();
        let (mut task, mut polls, mut timer) = (None, 0, false);
        while Instant::now() < deadline && (task.is_none() || polls == 0 || !timer) {
            let Some(update) = updates.message().await.unwrap() else {
                break;
            };
            if let Some(tasks) = update.task_update {
                for t in tasks.new_tasks {
                    let named = t.fields.iter().any(|f| {
                        matches!(&f.name, Some(Name::StrName(n)) if n == "task.name")
                            && matches!(&f.value, Some(Value::StrVal(v)) if v == "console-visible")
                    });
                    if named {
                        task = Some(t);
                    }
                }
                if let Some(id) = task.as_ref().and_then(|t| t.id.as_ref()).map(|i| i.id) {
                    if let Some(stats) = tasks.stats_update.get(&id) {
                        polls = stats.poll_stats.as_ref().map_or(0, |p| p.polls);
                    }
                }
            }
            if let Some(resources) = update.resource_update {
                timer |= resources
                    .new_resources
                    .iter()
                    .any(|r| r.concrete_type == "Delay");
            }
        }
        (task, polls, timer)
    });
    let task = task.expect("the console listed the named task");
    let location = task.location.expect("the spawn location");
    assert!(location.file.unwrap().ends_with("console.rs"));
    assert!(polls >= 1, "the console counted its polls");
    assert!(timer, "the console listed its delay as a timer resource");
    gate.set_result(()).unwrap();
    waiting.wait().unwrap();
}
