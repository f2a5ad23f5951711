//! Benchmarks tasklane against its peers in the same process run.

fn main() {
    eprintln!("usage: tasklane-bench <suite>");
}
