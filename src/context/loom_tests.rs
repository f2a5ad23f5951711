//! Loom models: switching a task's home while it is being woken.
