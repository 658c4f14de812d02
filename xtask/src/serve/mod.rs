//! The serve stage: the web bundle of the browser target over HTTP on loopback, with the headers
//! a page needs to be cross-origin isolated (SharedArrayBuffer, which the interrupt buffer and
//! pthreads use, exists only there). It serves the bundle's regular files and nothing else: no
//! path outside it (`..`, encoded or not, or a symlink leading out), no hidden files, no
//! directory listings. One line is logged per request; Ctrl-C stops it.

mod request;

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;

use crate::text::printable;
use request::{read_request, Request};

/// The headers every response carries: cross-origin isolation and no sniffing.
const ISOLATION: [(&str, &str); 4] = [
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
];

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
            .with_context(|| format!("nothing to serve: {} is not a directory", root.display()))?;
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

    /// Serves until Ctrl-C: each connection on its own thread, one request each.
    pub fn run(self) -> anyhow::Result<()> {
        stop_on_sigint();
        self.listener.set_nonblocking(true)?;
        while !STOP.load(Ordering::SeqCst) {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    let root = self.root.clone();
                    std::thread::spawn(move || answer(&root, stream, peer));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => eprintln!("serve: accept failed: {e}"),
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

/// Reads one request from `stream`, answers it and logs one line.
fn answer(root: &Path, mut stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let (status, length, shown) = match read_request(&mut stream) {
        Ok(request) => {
            let shown = format!("{} {}", request.method, printable(&request.target));
            let (status, length) = respond(root, &request, &mut stream);
            (status, length, shown)
        }
        Err(reason) => {
            let _ = send(&mut stream, 400, "text/plain; charset=utf-8", reason.as_bytes(), true);
            (400, reason.len() as u64, format!("(unreadable request: {reason})"))
        }
    };
    eprintln!("serve: {peer} \"{shown}\" {status} {length}");
}

/// Finds the file, sends it; returns the status and the body length.
fn respond(root: &Path, request: &Request, stream: &mut TcpStream) -> (u16, u64) {
    let body = request.method == "GET";
    if request.method != "GET" && request.method != "HEAD" {
        let _ = send(stream, 405, "text/plain; charset=utf-8", b"only GET and HEAD\n", body);
        return (405, 18);
    }
    match resolve(root, &request.path) {
        Some(file) => match std::fs::read(&file) {
            Ok(bytes) => {
                let _ = send(stream, 200, content_type(&file), &bytes, body);
                (200, bytes.len() as u64)
            }
            Err(_) => not_found(stream, body),
        },
        None => not_found(stream, body),
    }
}

fn not_found(stream: &mut TcpStream, body: bool) -> (u16, u64) {
    let _ = send(stream, 404, "text/plain; charset=utf-8", b"not found\n", body);
    (404, 10)
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

fn send(stream: &mut TcpStream, status: u16, kind: &str, bytes: &[u8], body: bool) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n",
        bytes.len()
    );
    for (name, value) in ISOLATION {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if status == 405 {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if body {
        stream.write_all(bytes)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests;
