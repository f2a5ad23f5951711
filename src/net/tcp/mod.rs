//! TCP: listener, stream, owned halves.

mod connect;
mod exhaustion;
mod listener;
mod split;
mod stream;
#[cfg(any(feature = "tokio-io", feature = "hyper"))]
mod uninit;
mod with_token;

pub use listener::TcpListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;

/// The stream behind a TCP type, for the trait adapters (Tokio, hyper).
#[cfg(any(feature = "tokio-io", feature = "hyper"))]
pub(crate) trait AsTcp {
    fn tcp(&self) -> &TcpStream;
}

#[cfg(any(feature = "tokio-io", feature = "hyper"))]
impl AsTcp for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

#[cfg(any(feature = "tokio-io", feature = "hyper"))]
impl AsTcp for OwnedReadHalf {
    fn tcp(&self) -> &TcpStream {
        self.stream()
    }
}

#[cfg(any(feature = "tokio-io", feature = "hyper"))]
impl AsTcp for OwnedWriteHalf {
    fn tcp(&self) -> &TcpStream {
        self.stream()
    }
}
