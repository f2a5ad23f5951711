//! Loom models of the dispatcher's message queue.
