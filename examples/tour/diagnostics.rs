//! Tour: seeing what a live program does — a task dump (what every task
//! waits on, as async stacks, with the deadlocks among them) and the
//! runtime's counters.

use std::sync::Arc;
use std::time::Duration;
use tasklane::sync::SemaphoreSlim;
use tasklane::{Runtime, Task, TaskCompletionSource};

pub fn run() {
    let rt = Runtime::builder()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    let _enter = rt.handle().enter();

    // A checkout stuck on a payment gateway whose callback never came.
    let gateway = TaskCompletionSource::<u32>::new();
    let callback = gateway.task();
    let payment = Task::builder()
        .name("payment")
        .run_async(async move { callback.await.unwrap_or(0) });
    let p = payment.clone();
    let checkout = Task::builder()
        .name("checkout")
        .run_async(async move { (&p).await.unwrap_or(0) * 10 });
    // A reservation waiting for a permit nobody gives back.
    let stock = Arc::new(SemaphoreSlim::new(0, 1).expect("valid counts"));
    let s = stock.clone();
    let reserve = Task::builder()
        .name("reserve-stock")
        .run_async(async move { s.wait_async().await });
    // A reminder sleeping for an hour.
    let reminder = Task::builder().name("reminder").run_async(async {
        tasklane::time::delay(Duration::from_secs(3600)).await;
    });
    // Two tasks that await each other: a deadlock.
    let (audit, ledger) = await_each_other();

    // Let every task park, then look.
    let all = [checkout.id(), reserve.id(), reminder.id()];
    while rt.dump().deadlocks.is_empty()
        || all
            .iter()
            .any(|&id| rt.dump().task(id).is_none_or(|i| i.waiting_on.is_none()))
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    // A moment stuck, as a real hang would be by the time someone looks.
    std::thread::sleep(Duration::from_millis(250));
    println!(
        "Runtime::dump() — every live task, innermost first, each awaiter below what it awaits:"
    );
    print!("{}", rt.dump());
    println!();
    println!("diag::find_deadlocks() also returns the cycle, with `certain: true`:");
    println!("its tasks only await each other. Following \"awaits task N\" up the tree");
    println!("is the async stack dotnet-dump's `dumpasync` prints.");
    println!();
    println!("The counters (`Handle::counters()`, `dotnet-counters` names):");
    println!("{}", rt.handle().counters());

    gateway.set_result(7).expect("first completion");
    println!(
        "gateway called back: checkout finished with {}",
        checkout.result().expect("completed")
    );
    stock.release().expect("below the maximum");
    reserve.wait().expect("the permit came");
    // Dropping the runtime cancels what is left: the sleeping reminder and
    // the deadlocked pair.
    drop(_enter);
    drop(rt);
    println!(
        "runtime dropped: reminder {:?}, audit {:?}, ledger {:?}",
        reminder.status(),
        audit.status(),
        ledger.status()
    );
}

/// "audit" awaits "ledger" and "ledger" awaits "audit" (each learns the
/// other through a promise).
fn await_each_other() -> (Task<()>, Task<()>) {
    let ledger_of_audit = TaskCompletionSource::<Task<()>>::new();
    let audit_of_ledger = TaskCompletionSource::<Task<()>>::new();
    let get_ledger = ledger_of_audit.task();
    let audit = Task::builder().name("audit").run_async(async move {
        if let Ok(ledger) = get_ledger.await {
            let _ = (&ledger).await;
        }
    });
    let get_audit = audit_of_ledger.task();
    let ledger = Task::builder().name("ledger").run_async(async move {
        if let Ok(audit) = get_audit.await {
            let _ = (&audit).await;
        }
    });
    let _ = ledger_of_audit.set_result(ledger.clone());
    let _ = audit_of_ledger.set_result(audit.clone());
    (audit, ledger)
}
