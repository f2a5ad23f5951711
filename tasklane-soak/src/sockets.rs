//! The soak's loopback sockets: an echo server on the runtime, and
//! [`LANES`] client connections. A socket task makes one round trip on its
//! lane's connection after the lane's previous task (each task awaits the
//! one before it), so the connections are few and reused: a long soak
//! never runs out of ports or descriptors, and its memory stays flat.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tasklane::net::{TcpListener, TcpStream};
use tasklane::{CancellationTokenSource, Task};

/// Client connections (and server-side connection tasks).
pub const LANES: usize = 16;

/// One client connection and the last task queued on it.
#[derive(Default)]
struct Lane {
    connection: Mutex<Option<TcpStream>>,
    last: Mutex<Option<Task<()>>>,
}

/// The echo server and its client lanes.
pub struct Echo {
    addr: SocketAddr,
    lanes: Vec<Lane>,
    stop: CancellationTokenSource,
    server: Mutex<Option<Task<()>>>,
}

impl Echo {
    /// Starts the server on the current runtime.
    pub fn start() -> std::io::Result<Echo> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = CancellationTokenSource::new();
        let token = stop.token();
        let server = Task::run_async(async move {
            let mut connections = Vec::new();
            while let Ok((mut s, _)) = listener.accept_with_token(&token).await {
                let token = token.clone();
                connections.push(Task::run_async(async move {
                    let mut buf = [0u8; 8];
                    while s.read_exact_with_token(&mut buf, &token).await.is_ok() {
                        if s.write_all(&buf).await.is_err() {
                            break;
                        }
                    }
                }));
            }
            for c in connections {
                let _ = c.await;
            }
        });
        Ok(Echo {
            addr,
            lanes: (0..LANES).map(|_| Lane::default()).collect(),
            stop,
            server: Mutex::new(Some(server)),
        })
    }

    /// A task that, after the previous task of lane `value % LANES`, sends
    /// `value` on the lane's connection, reads it back, then calls `done`.
    pub fn round_trip(
        self: &Arc<Self>,
        value: u64,
        done: impl FnOnce() + Send + 'static,
    ) -> Task<()> {
        let lane = (value % LANES as u64) as usize;
        let mut last = self.lanes[lane].last.lock().unwrap();
        let previous = last.take();
        let echo = self.clone();
        let task = Task::run_async(async move {
            if let Some(p) = previous {
                (&p).await.expect("the lane's previous round trip");
            }
            let taken = echo.lanes[lane].connection.lock().unwrap().take();
            let mut c = match taken {
                Some(c) => c,
                None => TcpStream::connect(echo.addr)
                    .await
                    .expect("connect to the echo server"),
            };
            c.write_all(&value.to_le_bytes()).await.expect("echo write");
            let mut back = [0u8; 8];
            c.read_exact(&mut back).await.expect("echo read");
            assert_eq!(u64::from_le_bytes(back), value, "echoed bytes");
            *echo.lanes[lane].connection.lock().unwrap() = Some(c);
            done();
        });
        *last = Some(task.clone());
        task
    }

    /// Forgets each lane's last task (every one has completed: the batch
    /// settled), so no task cell lives on from one batch into the next.
    pub fn settled(&self) {
        for lane in &self.lanes {
            lane.last.lock().unwrap().take();
        }
    }

    /// Client connections open now.
    pub fn connections(&self) -> usize {
        self.lanes
            .iter()
            .filter(|l| l.connection.lock().unwrap().is_some())
            .count()
    }

    /// Closes every connection and stops the server.
    pub fn stop(&self) {
        for lane in &self.lanes {
            if let Some(last) = lane.last.lock().unwrap().take() {
                last.wait().expect("the lane's last round trip");
            }
            lane.connection.lock().unwrap().take();
        }
        self.stop.cancel().unwrap();
        if let Some(server) = self.server.lock().unwrap().take() {
            server.wait().expect("the echo server stops cleanly");
        }
    }
}
