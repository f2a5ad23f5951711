//! A `SynchronizationContext` that is not a dispatcher: one thread draining
//! a channel, a minimal "UI thread" written against the trait alone.

use std::sync::{Arc, Mutex, mpsc};
use std::thread::ThreadId;
use tasklane::context::{SynchronizationContext, Work};

pub struct ThreadContext {
    tx: Mutex<Option<mpsc::Sender<Work>>>,
    pub thread: ThreadId,
}

impl ThreadContext {
    pub fn start() -> Arc<ThreadContext> {
        let (tx, rx) = mpsc::channel::<Work>();
        let (id_tx, id_rx) = mpsc::channel();
        std::thread::spawn(move || {
            id_tx.send(std::thread::current().id()).unwrap();
            for work in rx {
                work();
            }
        });
        Arc::new(ThreadContext {
            tx: Mutex::new(Some(tx)),
            thread: id_rx.recv().unwrap(),
        })
    }

    pub fn stop(&self) {
        self.tx.lock().unwrap().take();
    }
}

impl SynchronizationContext for ThreadContext {
    fn post(&self, work: Work) {
        if let Some(tx) = &*self.tx.lock().unwrap() {
            let _ = tx.send(work);
        }
    }
}

pub fn as_dyn(ctx: &Arc<ThreadContext>) -> Arc<dyn SynchronizationContext> {
    ctx.clone()
}
