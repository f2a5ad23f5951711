//! A home the loom models drive by hand: a queue of notified tasks and a
//! registry, shared by the task and context models.

use super::raw::{Notified, RawTask, TaskRef};
use super::registry::Registry;
use super::schedule::{Hint, Schedule};
use crate::loom::sync::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;

pub(crate) struct TestHome {
    queue: Mutex<VecDeque<Notified>>,
    pub(crate) registry: Registry,
    /// What `is_current` answers on every thread.
    current: bool,
}

impl TestHome {
    pub(crate) fn new(current: bool) -> Arc<TestHome> {
        Arc::new(TestHome {
            queue: Mutex::new(VecDeque::new()),
            registry: Registry::new(1),
            current,
        })
    }

    /// The oldest queued task.
    pub(crate) fn pop(&self) -> Option<Notified> {
        crate::loom::lock(&self.queue).pop_front()
    }

    /// Runs queued tasks until the queue is empty.
    pub(crate) fn run_all(&self) {
        while let Some(t) = self.pop() {
            t.run();
        }
    }
}

impl Schedule for TestHome {
    fn registry(&self) -> &crate::task::registry::Registry {
        &self.registry
    }

    fn schedule(&self, task: Notified, _: Hint) {
        crate::loom::lock(&self.queue).push_back(task);
    }
    fn bind(&self, task: RawTask) -> bool {
        self.registry.insert(task)
    }
    fn release(&self, task: RawTask) -> Option<TaskRef> {
        self.registry.remove(task)
    }
    fn is_current(&self) -> bool {
        self.current
    }
    fn describe(&self) -> String {
        "test home".to_owned()
    }
}
