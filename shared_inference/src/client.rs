//! A session's connection to the server.
//!
//! Waiting for an answer is a loop of short socket timeouts, each calling the caller's `wait` hook,
//! so that a database session can honour a cancel while the worker is busy. An interrupted call
//! leaves the connection mid-frame: the caller drops the client rather than reuse it.

use std::io;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::protocol::{read_frame, write_frame, Request, Response};

/// How often a waiting client calls its `wait` hook.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

pub struct Client {
    stream: UnixStream,
}

impl Client {
    pub fn connect(socket: &Path) -> io::Result<Client> {
        let stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(POLL_INTERVAL))?;
        stream.set_write_timeout(Some(POLL_INTERVAL))?;
        Ok(Client { stream })
    }

    /// Sends `request` and waits for its response, calling `wait` every [`POLL_INTERVAL`] of
    /// waiting. A server that closes the connection is an error.
    pub fn call(&mut self, request: &Request, wait: &mut dyn FnMut()) -> io::Result<Response> {
        write_frame(&mut self.stream, request, wait)?;
        read_frame(&mut self.stream, wait)?.ok_or_else(|| io::ErrorKind::UnexpectedEof.into())
    }
}
