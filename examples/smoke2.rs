//! smoke
use tasklane::*;
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1000);
    let w: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(2);
    let rt = Runtime::builder().worker_threads(w).build().unwrap();
    for _ in 0..20 {
        let r = rt.block_on(async move {
            let mut hs = Vec::with_capacity(n);
            for _ in 0..n {
                hs.push(Task::run_async(async {}));
            }
            for h in hs {
                h.await.unwrap();
            }
            7
        });
        assert_eq!(r, 7);
    }
    println!("ok");
}
