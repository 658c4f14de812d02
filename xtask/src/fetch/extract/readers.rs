//! The readers extraction reads through: decompression on its own thread, and a bound on the
//! bytes unpacked.

use std::io::{self, Read};

/// A reader that fails once more than `limit` bytes came through it (counting from `count`).
pub struct Bounded<R> {
    inner: R,
    limit: u64,
    count: u64,
}

impl<R> Bounded<R> {
    pub fn new(inner: R, limit: u64) -> Bounded<R> {
        Bounded::starting_at(inner, limit, 0)
    }

    /// A bound shared with readers before this one, which already passed `count` bytes.
    pub fn starting_at(inner: R, limit: u64, count: u64) -> Bounded<R> {
        Bounded { inner, limit, count }
    }

    /// The bytes counted so far, this reader's and those it started from.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::other(TooLarge(self.limit)));
        }
        Ok(n)
    }
}

/// The error a [`Bounded`] reader raises, found again in the chain to report it plainly.
#[derive(Debug)]
pub struct TooLarge(pub u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unpacks to more than {} bytes", self.0)
    }
}

impl std::error::Error for TooLarge {}

/// A reader whose source is read on a separate thread, a few chunks ahead.
pub struct Pipelined {
    chunks: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    offset: usize,
}

impl Pipelined {
    const CHUNK: usize = 1 << 20;

    pub fn new(mut source: Box<dyn Read + Send>) -> Pipelined {
        let (sender, chunks) = std::sync::mpsc::sync_channel(4);
        std::thread::spawn(move || loop {
            let mut chunk = vec![0; Self::CHUNK];
            let result = read_full(&mut source, &mut chunk).map(|n| {
                chunk.truncate(n);
                chunk
            });
            let done = !matches!(&result, Ok(c) if !c.is_empty());
            if sender.send(result).is_err() || done {
                return;
            }
        });
        Pipelined { chunks, current: Vec::new(), offset: 0 }
    }
}

/// Reads until `buffer` is full or the source ends.
fn read_full(source: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match source.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl Read for Pipelined {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.offset == self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.offset);
        out[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}
