//! The tour's contexts section compiles and runs to the end.

#[path = "../examples/tour/contexts.rs"]
mod contexts;

#[test]
fn the_contexts_tour_section_runs() {
    contexts::run();
}
