//! Tokio's `AsyncRead`/`AsyncWrite` on tasklane's TCP types (feature
//! `tokio-io`), for libraries written against Tokio's traits. Reads go
//! straight into the `ReadBuf`'s unfilled part, without zero-filling it.

use super::tcp::{AsTcp, OwnedReadHalf, OwnedWriteHalf, TcpStream};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::ReadBuf;

fn poll_read_buf(
    s: &TcpStream,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: `recv_uninit` only writes into the slice, and we mark exactly
    // the `n` bytes it wrote as initialised and filled.
    let n = ready!(s.poll_read_uninit(cx, unsafe { buf.unfilled_mut() }))?;
    // SAFETY: the first `n` bytes of the unfilled part were just written.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(()))
}

macro_rules! tokio_read {
    ($t:ty) => {
        #[cfg_attr(docsrs, doc(cfg(feature = "tokio-io")))]
        impl tokio::io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_buf(self.tcp(), cx, buf)
            }
        }
    };
}

macro_rules! tokio_write {
    ($t:ty) => {
        #[cfg_attr(docsrs, doc(cfg(feature = "tokio-io")))]
        impl tokio::io::AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.tcp().poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.tcp().poll_write_vectored_priv(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.tcp().poll_shutdown_write()
            }
        }
    };
}

tokio_read!(TcpStream);
tokio_write!(TcpStream);
tokio_read!(OwnedReadHalf);
tokio_write!(OwnedWriteHalf);
