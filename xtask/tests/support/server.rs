//! A real HTTP/1.1 server on 127.0.0.1 for tests, with scripted faults per path.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the server does for one path. Faults listed in `first` are used for the first requests,
/// in order; later requests get the normal response.
#[derive(Clone, Default)]
pub struct Route {
    pub body: Vec<u8>,
    pub content_type: Option<&'static str>,
    pub honour_range: bool,
    pub first: Vec<Fault>,
    /// Sleep this long after each 64 KiB chunk (to make transfers overlap).
    pub throttle: Option<Duration>,
}

#[derive(Clone, Debug)]
pub enum Fault {
    /// Send the headers and this many body bytes, then close the connection.
    DropAfter(usize),
    /// Answer with this status and a short body.
    Status(u16),
    /// Answer 302 with this Location.
    Redirect(String),
    /// Send the headers and this many body bytes, then go silent.
    StallAfter(usize),
    /// Send a long response head one byte at a time, this long apart: never silent for long,
    /// never done.
    TrickleHead(Duration),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub range: Option<String>,
    pub absolute_form: bool,
}

#[derive(Clone)]
pub struct Server {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    served: Arc<Mutex<HashMap<String, usize>>>,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server {
            port: listener.local_addr().unwrap().port(),
            routes: Arc::default(),
            served: Arc::default(),
            requests: Arc::default(),
        };
        let shared = server.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                thread::spawn(move || shared.handle(stream));
            }
        });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn route(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_owned(), route);
    }

    pub fn requests_for(&self, path: &str) -> Vec<Request> {
        self.requests.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
    }

    fn handle(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let Some((method, target, range)) = read_request(&mut reader) else {
            return;
        };
        if method == "CONNECT" {
            let request = Request { path: format!("CONNECT {target}"), range: None, absolute_form: false };
            self.requests.lock().unwrap().push(request);
            tunnel(stream, &target);
            return;
        }
        let absolute_form = target.starts_with("http://");
        let path = if absolute_form { format!("/{}", target.splitn(4, '/').nth(3).unwrap_or("")) } else { target };
        self.requests.lock().unwrap().push(Request { path: path.clone(), range: range.clone(), absolute_form });
        let attempt = {
            let mut served = self.served.lock().unwrap();
            let count = served.entry(path.clone()).or_insert(0);
            *count += 1;
            *count - 1
        };
        let route = self.routes.lock().unwrap().get(&path).cloned();
        let mut stream = stream;
        match route {
            Some(route) => serve(&mut stream, &route, attempt, range.as_deref()),
            None => {
                let _ = stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");
            }
        }
        drop(reader);
        let _ = stream.shutdown(std::net::Shutdown::Both);
        let mut sink = Vec::new();
        let _ = stream.read_to_end(&mut sink);
    }
}

/// The request line's method and target, and the Range header if any.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, Option<String>)> {
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let method = request_line.split_whitespace().next().unwrap_or("").to_owned();
    let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_owned());
            }
        }
    }
    Some((method, target, range))
}

/// Answers one request for a route, with the fault planned for this attempt.
fn serve(stream: &mut TcpStream, route: &Route, attempt: usize, range: Option<&str>) {
    let fault = route.first.get(attempt).cloned();
    if let Some(Fault::Status(status)) = fault {
        let _ = write!(stream, "HTTP/1.1 {status} Fault\r\nContent-Length: 5\r\nConnection: close\r\n\r\nfault");
        return;
    }
    if let Some(Fault::TrickleHead(pause)) = fault {
        let head = format!("HTTP/1.1 200 OK\r\n{}", "X-Padding: trickle\r\n".repeat(10_000));
        for byte in head.as_bytes() {
            if stream.write_all(&[*byte]).is_err() {
                return;
            }
            thread::sleep(pause);
        }
        return;
    }
    if let Some(Fault::Redirect(location)) = &fault {
        let _ = write!(
            stream,
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let start = match (range, route.honour_range) {
        (Some(r), true) => r.trim_start_matches("bytes=").trim_end_matches('-').parse::<usize>().unwrap_or(0),
        _ => 0,
    };
    let body = &route.body[start.min(route.body.len())..];
    let mut head = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\n",
            route.body.len() - 1,
            route.body.len()
        )
    } else {
        "HTTP/1.1 200 OK\r\n".to_owned()
    };
    head += &format!(
        "Content-Length: {}\r\nContent-Type: {}\r\nConnection: close\r\n\r\n",
        body.len(),
        route.content_type.unwrap_or("application/octet-stream")
    );
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let limit = match fault {
        Some(Fault::DropAfter(n)) | Some(Fault::StallAfter(n)) => n.min(body.len()),
        _ => body.len(),
    };
    for chunk in body[..limit].chunks(64 * 1024) {
        if stream.write_all(chunk).is_err() {
            return;
        }
        if let Some(pause) = route.throttle {
            thread::sleep(pause);
        }
    }
    if let Some(Fault::StallAfter(_)) = fault {
        let _ = stream.flush();
        thread::sleep(Duration::from_secs(30));
    }
    let _ = stream.flush();
}

/// An HTTPS proxy's CONNECT: reply 200, then copy bytes both ways.
fn tunnel(mut client: TcpStream, target: &str) {
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (mut client_read, mut upstream_write) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let forward = thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut upstream_write);
        let _ = upstream_write.shutdown(std::net::Shutdown::Write);
    });
    let mut upstream_read = upstream;
    let _ = std::io::copy(&mut upstream_read, &mut client);
    let _ = client.shutdown(std::net::Shutdown::Write);
    let _ = forward.join();
}
