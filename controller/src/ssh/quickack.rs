//! The TCP stream play reads SSH answers from, acknowledging what arrives at once.
//!
//! Why: every host behind a bastion is a channel of one TCP connection to it. The bastion's
//! sshd runs that connection without `TCP_NODELAY` (OpenSSH sets it only for sessions with a
//! pty), so when several hosts answer a task at nearly the same moment it sends the first
//! answer and holds the rest (Nagle) until play acknowledges the first. Linux delays that
//! acknowledgement up to 40 ms, hoping to carry it on outgoing data, but play sends nothing
//! until every host has answered: each task on more than one host cost ~44 ms of waiting
//! (measured by the benchmark's 50 no-op tasks: 45 ms between tasks on 3 hosts, 5 ms on one).
//! `TCP_QUICKACK` makes the kernel acknowledge at once; Linux leaves quick-ack mode on its
//! own, so it is set again after every read that brought data (one cheap syscall each).

use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A [`TcpStream`] that acknowledges received data immediately.
pub struct QuickAckStream(TcpStream);

impl QuickAckStream {
    pub fn new(stream: TcpStream) -> Self {
        let stream = Self(stream);
        stream.ack_now();
        stream
    }

    /// Turns quick-ack mode on, which also sends an acknowledgement the kernel was holding.
    /// A failure only costs latency, so it is ignored.
    fn ack_now(&self) {
        let one: libc::c_int = 1;
        // SAFETY: a valid socket descriptor owned by `self.0`, and a pointer to a c_int that
        // lives across the call, with its exact size.
        unsafe {
            libc::setsockopt(
                self.0.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}

impl AsyncRead for QuickAckStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.0).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.ack_now();
        }
        polled
    }
}

impl AsyncWrite for QuickAckStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Linux answers "is quick-ack on" with "not in ping-pong (delayed-ack) mode".
    fn quickack_on(fd: std::os::fd::RawFd) -> bool {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid descriptor; value and len point to live locals of the sizes given.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "getsockopt(TCP_QUICKACK)");
        value != 0
    }

    #[tokio::test]
    async fn carries_bytes_both_ways_and_leaves_delayed_ack_mode_after_each_read() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let mut client = QuickAckStream::new(client.unwrap());
        let (mut server, _) = server.unwrap();
        let mut got = [0u8; 4];

        // Answering soon after receiving is what puts Linux in delayed-ack mode (the mode
        // that stalled multi-host tasks): after each such answer, the next read leaves it.
        for round in 0..3 {
            server.write_all(b"pong").await.unwrap();
            client.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"pong");
            assert!(
                quickack_on(client.0.as_raw_fd()),
                "delayed-ack mode after read {round}"
            );
            client.write_all(b"ping").await.unwrap();
            server.read_exact(&mut got).await.unwrap();
            assert_eq!(&got, b"ping");
        }
    }

    /// The premise of the test above: without the wrapper, the same exchange does leave the
    /// socket in delayed-ack mode (otherwise that test could not fail).
    #[tokio::test]
    async fn a_plain_socket_falls_into_delayed_ack_mode_in_the_same_exchange() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, server) = tokio::join!(TcpStream::connect(addr), listener.accept());
        let mut client = client.unwrap();
        let (mut server, _) = server.unwrap();
        let mut got = [0u8; 4];
        let mut seen_delayed = false;
        for _ in 0..3 {
            server.write_all(b"pong").await.unwrap();
            client.read_exact(&mut got).await.unwrap();
            seen_delayed |= !quickack_on(client.as_raw_fd());
            client.write_all(b"ping").await.unwrap();
            server.read_exact(&mut got).await.unwrap();
        }
        assert!(seen_delayed, "the kernel never entered delayed-ack mode");
    }
}
