//! The serve stage: the web bundle of the browser target over HTTP on loopback, with the headers
//! a page needs to be cross-origin isolated (SharedArrayBuffer, which the interrupt buffer and
//! pthreads use, exists only there). It serves the bundle's regular files and nothing else: no
//! path outside it (`..`, encoded or not, or a symlink leading out), no hidden files, no
//! directory listings. One line is logged per request; Ctrl-C stops it.

mod request;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::text::{printable, printable_path};
use request::{read_request, Request};

/// The headers every response carries: cross-origin isolation and no sniffing.
const ISOLATION: [(&str, &str); 4] = [
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
];

/// How long a whole request head may take to arrive, and one write of a response to be taken.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The buffer each response streams its file through: memory stays bounded whatever the size.
const CHUNK: usize = 64 * 1024;
/// Connections answered at once; past this, 503.
const MAX_CONNECTIONS: usize = 64;
const BUSY: &[u8] = b"too many connections, try again\n";

/// Set by the SIGINT handler; the accept loop polls it.
static STOP: AtomicBool = AtomicBool::new(false);

/// A bound server over a bundle directory.
pub struct Server {
    root: PathBuf,
    listener: TcpListener,
}

impl Server {
    /// Binds `address` over `root`, which must be a directory.
    pub fn bind(root: &Path, address: SocketAddr) -> anyhow::Result<Server> {
        let root = root
            .canonicalize()
            .ok()
            .filter(|r| r.is_dir())
            .with_context(|| format!("nothing to serve: {} is not a directory", printable_path(root)))?;
        let listener = TcpListener::bind(address).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                anyhow::anyhow!("{address} is in use; pass another --port (0 picks a free one)")
            }
            _ => anyhow::anyhow!("cannot listen on {address}: {e}"),
        })?;
        Ok(Server { root, listener })
    }

    pub fn address(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until Ctrl-C: each connection on its own thread, one request each, at most
    /// MAX_CONNECTIONS at once (more get 503 at once). When accepting fails (descriptors run out,
    /// say), the loop waits longer after each failure, up to a second, logs the first failure and
    /// the recovery, and keeps serving once accepting works again.
    pub fn run(self) -> anyhow::Result<()> {
        stop_on_sigint();
        self.listener.set_nonblocking(true)?;
        let active = Arc::new(AtomicUsize::new(0));
        let mut failing = Duration::ZERO;
        while !STOP.load(Ordering::SeqCst) {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    if failing > Duration::ZERO {
                        eprintln!("serve: accepting again");
                        failing = Duration::ZERO;
                    }
                    if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                        busy(stream, peer);
                        continue;
                    }
                    let (root, counted) = (self.root.clone(), Arc::clone(&active));
                    active.fetch_add(1, Ordering::SeqCst);
                    let spawned = std::thread::Builder::new().spawn(move || {
                        answer(&root, stream, peer);
                        counted.fetch_sub(1, Ordering::SeqCst);
                    });
                    if spawned.is_err() {
                        active.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => {
                    if failing == Duration::ZERO {
                        eprintln!("serve: accept failed: {e}; waiting and trying again");
                    }
                    failing = (failing * 2).clamp(Duration::from_millis(50), Duration::from_secs(1));
                    std::thread::sleep(failing);
                }
            }
        }
        eprintln!("serve: stopped");
        Ok(())
    }
}

fn stop_on_sigint() {
    extern "C" fn on_sigint(_: libc::c_int) {
        STOP.store(true, Ordering::SeqCst);
    }
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
    }
}

/// The stream read with one deadline for the whole request head: a client sending a byte now
/// and then (slowloris) is cut off when the head's time is up, not only when it falls silent.
struct Deadline<'a> {
    stream: &'a TcpStream,
    ends: Instant,
}

impl Read for Deadline<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let left = self.ends.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the request head took too long"));
        }
        self.stream.set_read_timeout(Some(left))?;
        (&mut &*self.stream).read(buffer)
    }
}

/// Past MAX_CONNECTIONS: a short 503, written without waiting, and the connection closed.
fn busy(mut stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nonblocking(true);
    let _ = send(&mut stream, 503, "text/plain; charset=utf-8", BUSY.len() as u64, Some(BUSY));
    eprintln!("serve: {peer} (not read: {MAX_CONNECTIONS} connections open) 503 {}", BUSY.len());
}

/// Reads one request from `stream`, answers it and logs one line.
fn answer(root: &Path, mut stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    // Buffered: read_request takes the head a byte at a time, and each read of the stream sets
    // the time left.
    let deadline = Deadline { stream: &stream, ends: Instant::now() + READ_TIMEOUT };
    let head = read_request(&mut std::io::BufReader::new(deadline));
    let (status, length, shown) = match head {
        Ok(request) => {
            let shown = format!("{} {}", printable(&request.method), printable(&request.target));
            let (status, length) = respond(root, &request, &mut stream);
            (status, length, shown)
        }
        Err(reason) => {
            let body = format!("{reason}\n");
            let _ = send(&mut stream, 400, "text/plain; charset=utf-8", body.len() as u64, Some(body.as_bytes()));
            (400, body.len() as u64, format!("(unreadable request: {reason})"))
        }
    };
    eprintln!("serve: {peer} \"{shown}\" {status} {length}");
}

/// Finds the file and streams it; returns the status and the bytes of body sent.
fn respond(root: &Path, request: &Request, stream: &mut TcpStream) -> (u16, u64) {
    let head_only = request.method == "HEAD";
    if request.method != "GET" && !head_only {
        return error(stream, 405, b"only GET and HEAD\n", false);
    }
    let Some(path) = resolve(root, &request.path) else { return error(stream, 404, b"not found\n", head_only) };
    let Some((mut file, length)) = open_regular(&path) else { return error(stream, 404, b"not found\n", head_only) };
    let kind = content_type(&path);
    if send(stream, 200, kind, length, None).is_err() || head_only {
        return (200, 0);
    }
    (200, stream_body(&mut file, length, stream))
}

/// An error response; its body is sent except to HEAD, and always matches Content-Length.
fn error(stream: &mut TcpStream, status: u16, body: &[u8], head_only: bool) -> (u16, u64) {
    let sent = (!head_only).then_some(body);
    let _ = send(stream, status, "text/plain; charset=utf-8", body.len() as u64, sent);
    (status, sent.map_or(0, |b| b.len() as u64))
}

/// The file and its length, if it is (still) a regular file.
fn open_regular(path: &Path) -> Option<(std::fs::File, u64)> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: a FIFO swapped in after `resolve` looked does not block the open; a regular
    // file's reads are not affected by it.
    let file = std::fs::File::options().read(true).custom_flags(libc::O_NONBLOCK).open(path).ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then_some((file, meta.len()))
}

/// Copies `length` bytes of `file` to `stream` through one CHUNK-sized buffer; returns what was
/// sent. A reader slower than WRITE_TIMEOUT per write ends the response.
fn stream_body(file: &mut std::fs::File, length: u64, stream: &mut TcpStream) -> u64 {
    let mut buffer = vec![0u8; CHUNK];
    let mut sent = 0u64;
    while sent < length {
        let want = (length - sent).min(CHUNK as u64) as usize;
        let Ok(read) = file.read(&mut buffer[..want]) else { break };
        if read == 0 || stream.write_all(&buffer[..read]).is_err() {
            break;
        }
        sent += read as u64;
    }
    let _ = stream.flush();
    sent
}

/// The regular file under `root` that `path` (decoded, `/`-separated) names, or None: `/` is
/// `index.html`; `..`, `.`, hidden names and anything whose real path leaves `root` are refused.
pub fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let mut file = root.to_owned();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    for part in &parts {
        if part.starts_with('.') || part.contains('\\') || part.contains('\0') {
            return None;
        }
        file.push(part);
    }
    if parts.is_empty() {
        file.push("index.html");
    }
    let real = file.canonicalize().ok()?;
    (real.starts_with(root) && real.is_file()).then_some(real)
}

/// The media type by extension; browsers need exactly these for wasm streaming compilation and
/// module scripts.
pub fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript",
        "wasm" => "application/wasm",
        "css" => "text/css",
        "json" => "application/json",
        "zip" => "application/zip",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "txt" | "py" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The head of a response announcing `length` bytes of body, then `body` if given.
fn send(stream: &mut TcpStream, status: u16, kind: &str, length: u64, body: Option<&[u8]>) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {length}\r\nCache-Control: no-cache\r\nConnection: close\r\n"
    );
    for (name, value) in ISOLATION {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if status == 405 {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(body) = body {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests;
