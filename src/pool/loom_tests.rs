//! Loom tests of the pool's protocols (filled in by the scheduler work).
