//! Every live scheduler of the process (pools, dispatchers, context and
//! user schedulers), so a task dump can walk each one's registry. Weak
//! references: a scheduler that goes away leaves the directory by itself.

use super::schedule::Schedule;
use std::sync::{Arc, Mutex, Weak};

struct Directory {
    homes: Vec<Weak<dyn Schedule>>,
    /// Prune dead entries when the list reaches this length.
    prune_at: usize,
}

static DIRECTORY: Mutex<Directory> = Mutex::new(Directory {
    homes: Vec::new(),
    prune_at: 16,
});

fn lock() -> std::sync::MutexGuard<'static, Directory> {
    DIRECTORY.lock().unwrap_or_else(|p| p.into_inner())
}

/// Lists a new scheduler.
pub(crate) fn list<S: Schedule>(home: &Arc<S>) {
    let weak: Weak<S> = Arc::downgrade(home);
    list_weak(weak);
}

fn list_weak(home: Weak<dyn Schedule>) {
    let mut d = lock();
    if d.homes.len() >= d.prune_at {
        d.homes.retain(|h| h.strong_count() > 0);
        d.prune_at = (d.homes.len() * 2).max(16);
    }
    d.homes.push(home);
}

/// The schedulers alive now, in the order they were made.
pub(crate) fn homes() -> Vec<Arc<dyn Schedule>> {
    lock().homes.iter().filter_map(Weak::upgrade).collect()
}
