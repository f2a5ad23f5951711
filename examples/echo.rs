//! A TCP echo server and client on tasklane.
//!
//! ```text
//! cargo run --example echo                      # both, in one process: a short demo
//! cargo run --example echo -- server 127.0.0.1:7000   # serve until Ctrl-C
//! cargo run --example echo -- client 127.0.0.1:7000   # echo each stdin line
//! ```
//!
//! Every connection is one task; a task waiting for bytes holds no thread
//! (the reactor wakes it), so thousands of connections run on a few threads.

use std::future::Future;
use std::io::BufRead;
use std::net::SocketAddr;
use std::task::Poll;
use tasklane::Task;
use tasklane::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("server") => {
            let addr = args.get(1).map_or("127.0.0.1:7000", String::as_str);
            tasklane::block_on(serve(TcpListener::bind(addr)?, true))
        }
        Some("client") => {
            let addr: SocketAddr = args
                .get(1)
                .map_or("127.0.0.1:7000", String::as_str)
                .parse()
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            client_stdin(addr)
        }
        Some(other) => {
            eprintln!("unknown mode {other:?}: use `server ADDR`, `client ADDR`, or nothing");
            std::process::exit(2);
        }
        None => demo(),
    }
}

/// Accepts connections and echoes each on its own task; with
/// `until_ctrl_c`, stops accepting on Ctrl-C.
async fn serve(listener: TcpListener, until_ctrl_c: bool) -> std::io::Result<()> {
    println!("echo server on {}", listener.local_addr()?);
    // Installing the handler changes what Ctrl-C does: only when asked.
    let mut ctrl_c = until_ctrl_c.then(|| Box::pin(tasklane::signal::ctrl_c()));
    loop {
        // Wait for a connection or for Ctrl-C, whichever comes first.
        let next = std::future::poll_fn(|cx| {
            if let Some(ctrl_c) = ctrl_c.as_mut() {
                if let Poll::Ready(r) = ctrl_c.as_mut().poll(cx) {
                    return Poll::Ready(r.map(|()| None));
                }
            }
            listener.poll_accept(cx).map(|r| r.map(Some))
        })
        .await?;
        let Some((conn, peer)) = next else {
            println!("Ctrl-C: no longer accepting; bye");
            return Ok(());
        };
        drop(Task::run_async(echo(conn, peer)));
    }
}

/// Echoes one connection until the peer closes it.
async fn echo(mut conn: TcpStream, peer: SocketAddr) {
    let mut buf = vec![0u8; 4096];
    loop {
        match conn.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => {
                if let Err(e) = conn.write_all(&buf[..n]).await {
                    eprintln!("{peer}: write failed: {e}");
                    return;
                }
            }
            Err(e) => {
                eprintln!("{peer}: read failed: {e}");
                return;
            }
        }
    }
}

/// Sends each stdin line and prints the echo.
fn client_stdin(addr: SocketAddr) -> std::io::Result<()> {
    tasklane::block_on(async {
        let mut conn = TcpStream::connect(addr).await?;
        for line in std::io::stdin().lock().lines() {
            let line = line? + "\n";
            conn.write_all(line.as_bytes()).await?;
            let mut back = vec![0u8; line.len()];
            conn.read_exact(&mut back).await?;
            print!("{}", String::from_utf8_lossy(&back));
        }
        Ok(())
    })
}

/// Server and three clients in one process.
fn demo() -> std::io::Result<()> {
    tasklane::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        drop(Task::run_async(serve(listener, false)));
        let clients: Vec<_> = (1..=3)
            .map(|i| {
                Task::run_async(async move {
                    let mut conn = TcpStream::connect(addr).await?;
                    let msg = format!("hello from client {i}");
                    conn.write_all(msg.as_bytes()).await?;
                    let mut back = vec![0u8; msg.len()];
                    conn.read_exact(&mut back).await?;
                    std::io::Result::Ok(String::from_utf8_lossy(&back).into_owned())
                })
            })
            .collect();
        for c in clients {
            let echoed = c.into_output().await.map_err(std::io::Error::other)??;
            println!("echoed: {echoed}");
        }
        Ok(())
    })
}
