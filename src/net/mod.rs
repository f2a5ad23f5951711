//! Sockets over the reactor: TCP and UDP whose operations wait on epoll
//! readiness, never on a thread.
//!
//! Every waiting operation is a future built on one internal operation type,
//! so dropping it is a clean cancellation: nothing was read, accepted or
//! received, and the socket stays usable. Each also has a `*_with_token`
//! form (`read_with_token`, `accept_with_token`, `recv_from_with_token`, …)
//! that ends Canceled when a [`CancellationToken`](crate::CancellationToken)
//! fires, and [`TcpStream::connect_timeout`] gives a connect a deadline.
//!
//! C#: `System.Net.Sockets` over `SocketAsyncEngine` (epoll on Linux).

mod addr;
#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub mod hyper_rt;
mod settings;
pub(crate) mod tcp;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod udp;

pub use tcp::{OwnedReadHalf, OwnedWriteHalf, ReuniteError, TcpListener, TcpStream};
pub use udp::UdpSocket;
