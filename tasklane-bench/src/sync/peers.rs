//! The jobs of the sync suite, each implemented by tasklane (`Ours`) and by
//! its peers, behind one small trait per job.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A multi-producer channel of numbers.
pub trait Mpsc: 'static {
    type Tx: Clone + Send + Sync + 'static;
    type Rx: Send + 'static;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx);
    fn unbounded() -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64) -> impl Future<Output = ()> + Send + '_;
    /// None once every sender is gone and the channel is drained.
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = Option<u64>> + Send + '_;
}

/// A counting semaphore.
pub trait Semaphore: Send + Sync + 'static {
    fn new(permits: usize) -> Self;
    /// Takes a permit, works ~10 µs (yielding once in the middle if asked),
    /// releases it.
    fn hold(&self, yield_inside: bool) -> impl Future<Output = ()> + Send + '_;
}

/// An async mutex around a counter.
pub trait Mutex: Send + Sync + 'static {
    fn new() -> Self;
    fn increment(&self) -> impl Future<Output = ()> + Send + '_;
    fn value(&self) -> impl Future<Output = u64> + Send + '_;
}

/// A manual-reset event.
pub trait Event: Send + Sync + 'static {
    fn new() -> Self;
    /// Registers as a waiter, counts itself in `parked`, then waits.
    fn wait<'a>(&'a self, parked: &'a AtomicUsize) -> impl Future<Output = ()> + Send + 'a;
    fn set(&self);
}

/// Works while holding a permit, as [`Semaphore::hold`] says.
async fn held(yield_inside: bool) {
    super::work(super::SEM_WORK / 2);
    if yield_inside {
        super::yield_now().await;
    }
    super::work(super::SEM_WORK / 2);
}

/// tasklane's primitives.
pub struct Ours;
/// The `flume` crate.
pub struct Flume;
/// The `async-channel` crate.
pub struct AsyncChannel;
/// Tokio's `sync` module.
pub struct Tokio;
/// The `event-listener` crate, with a flag.
pub struct EventListener {
    event: event_listener::Event,
    set: AtomicBool,
}

impl Mpsc for Ours {
    type Tx = tasklane::sync::ChannelWriter<u64>;
    type Rx = tasklane::sync::ChannelReader<u64>;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        let c =
            tasklane::sync::Channel::bounded(tasklane::sync::BoundedChannelOptions::new(capacity))
                .expect("capacity above zero");
        (c.writer, c.reader)
    }
    fn unbounded() -> (Self::Tx, Self::Rx) {
        let c = tasklane::sync::Channel::unbounded();
        (c.writer, c.reader)
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.write_async(v).await.expect("the reader is alive");
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.read_async().await.ok()
    }
}

impl Mpsc for Flume {
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        flume::bounded(capacity)
    }
    fn unbounded() -> (Self::Tx, Self::Rx) {
        flume::unbounded()
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send_async(v).await.expect("the receiver is alive");
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv_async().await.ok()
    }
}

impl Mpsc for AsyncChannel {
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(capacity)
    }
    fn unbounded() -> (Self::Tx, Self::Rx) {
        async_channel::unbounded()
    }
    async fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).await.expect("the receiver is alive");
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        rx.recv().await.ok()
    }
}

/// Tokio's two sender kinds behind one type.
#[derive(Clone)]
pub enum TokioTx {
    Bounded(tokio::sync::mpsc::Sender<u64>),
    Unbounded(tokio::sync::mpsc::UnboundedSender<u64>),
}

/// Tokio's two receiver kinds behind one type.
pub enum TokioRx {
    Bounded(tokio::sync::mpsc::Receiver<u64>),
    Unbounded(tokio::sync::mpsc::UnboundedReceiver<u64>),
}

impl Mpsc for Tokio {
    type Tx = TokioTx;
    type Rx = TokioRx;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        let (t, r) = tokio::sync::mpsc::channel(capacity);
        (TokioTx::Bounded(t), TokioRx::Bounded(r))
    }
    fn unbounded() -> (Self::Tx, Self::Rx) {
        let (t, r) = tokio::sync::mpsc::unbounded_channel();
        (TokioTx::Unbounded(t), TokioRx::Unbounded(r))
    }
    async fn send(tx: &Self::Tx, v: u64) {
        match tx {
            TokioTx::Bounded(t) => t.send(v).await.expect("the receiver is alive"),
            TokioTx::Unbounded(t) => t.send(v).expect("the receiver is alive"),
        }
    }
    async fn recv(rx: &mut Self::Rx) -> Option<u64> {
        match rx {
            TokioRx::Bounded(r) => r.recv().await,
            TokioRx::Unbounded(r) => r.recv().await,
        }
    }
}

impl Semaphore for tasklane::sync::SemaphoreSlim {
    fn new(permits: usize) -> Self {
        tasklane::sync::SemaphoreSlim::new(permits, permits).expect("valid counts")
    }
    async fn hold(&self, yield_inside: bool) {
        let _p = self.acquire_async().await;
        held(yield_inside).await;
    }
}

impl Semaphore for tokio::sync::Semaphore {
    fn new(permits: usize) -> Self {
        tokio::sync::Semaphore::new(permits)
    }
    async fn hold(&self, yield_inside: bool) {
        let _p = self.acquire().await.expect("never closed");
        held(yield_inside).await;
    }
}

impl Semaphore for async_lock::Semaphore {
    fn new(permits: usize) -> Self {
        async_lock::Semaphore::new(permits)
    }
    async fn hold(&self, yield_inside: bool) {
        let _p = self.acquire().await;
        held(yield_inside).await;
    }
}

impl Mutex for tasklane::sync::AsyncMutex<u64> {
    fn new() -> Self {
        tasklane::sync::AsyncMutex::new(0)
    }
    async fn increment(&self) {
        *self.lock_async().await += 1;
    }
    async fn value(&self) -> u64 {
        *self.lock_async().await
    }
}

impl Mutex for tokio::sync::Mutex<u64> {
    fn new() -> Self {
        tokio::sync::Mutex::new(0)
    }
    async fn increment(&self) {
        *self.lock().await += 1;
    }
    async fn value(&self) -> u64 {
        *self.lock().await
    }
}

impl Mutex for async_lock::Mutex<u64> {
    fn new() -> Self {
        async_lock::Mutex::new(0)
    }
    async fn increment(&self) {
        *self.lock().await += 1;
    }
    async fn value(&self) -> u64 {
        *self.lock().await
    }
}

impl Event for tasklane::sync::AsyncManualResetEvent {
    fn new() -> Self {
        tasklane::sync::AsyncManualResetEvent::new(false)
    }
    async fn wait<'a>(&'a self, parked: &'a AtomicUsize) {
        let w = self.wait_async();
        parked.fetch_add(1, Ordering::Release);
        w.await;
    }
    fn set(&self) {
        tasklane::sync::AsyncManualResetEvent::set(self);
    }
}

impl Event for tokio::sync::Notify {
    fn new() -> Self {
        tokio::sync::Notify::new()
    }
    async fn wait<'a>(&'a self, parked: &'a AtomicUsize) {
        let n = self.notified();
        let mut n = std::pin::pin!(n);
        n.as_mut().enable();
        parked.fetch_add(1, Ordering::Release);
        n.await;
    }
    fn set(&self) {
        self.notify_waiters();
    }
}

impl Event for EventListener {
    fn new() -> Self {
        EventListener {
            event: event_listener::Event::new(),
            set: AtomicBool::new(false),
        }
    }
    async fn wait<'a>(&'a self, parked: &'a AtomicUsize) {
        let l = self.event.listen();
        parked.fetch_add(1, Ordering::Release);
        if !self.set.load(Ordering::Acquire) {
            l.await;
        }
    }
    fn set(&self) {
        self.set.store(true, Ordering::Release);
        self.event.notify(usize::MAX);
    }
}
