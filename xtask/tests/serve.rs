//! `cargo xtask serve` as a process: real sockets on loopback, raw requests (so that hostile
//! targets reach the server exactly as written), and Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Served {
    child: Child,
    port: u16,
    log: BufReader<std::process::ChildStderr>,
}

/// Starts `serve --dir DIR --port 0` and reads the port from the line it prints.
fn serve(dir: &Path) -> Served {
    serve_limited(dir, None)
}

/// [`serve`] with at most `descriptors` open files (RLIMIT_NOFILE), if given.
fn serve_limited(dir: &Path, descriptors: Option<u64>) -> Served {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(["serve", "--port", "0", "--dir"]).arg(dir).stderr(Stdio::piped());
    if let Some(limit) = descriptors {
        // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(move || {
                let value = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                match libc::setrlimit(libc::RLIMIT_NOFILE, &value) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            });
        }
    }
    let mut child = command.spawn().unwrap();
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    log.read_line(&mut line).unwrap();
    let url = line.split("http://").nth(1).unwrap_or_else(|| panic!("no URL in {line:?}"));
    let port = url.split(['/', ' ']).next().unwrap().rsplit(':').next().unwrap().parse().unwrap();
    assert!(url.starts_with("127.0.0.1:"), "{line}");
    Served { child, port, log }
}

/// Sends `request` as is; returns the status line, the head and the body.
fn raw(port: u16, request: &str) -> (String, String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    let status = head.lines().next().unwrap().to_owned();
    (status, head, response[split + 4..].to_vec())
}

fn get(port: u16, target: &str) -> (String, String, Vec<u8>) {
    raw(port, &format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
}

#[test]
fn the_bundle_is_served_isolated_and_nothing_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    std::fs::create_dir_all(web.join("lib")).unwrap();
    std::fs::write(web.join("index.html"), "<p>repl</p>").unwrap();
    std::fs::write(web.join("python.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(web.join("lib/python.mjs"), "export default 1;").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), web.join("link.txt")).unwrap();
    let mut served = serve(&web);
    let port = served.port;

    let (status, head, body) = get(port, "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, b"<p>repl</p>");
    for header in [
        "Cross-Origin-Opener-Policy: same-origin",
        "Cross-Origin-Embedder-Policy: require-corp",
        "Cross-Origin-Resource-Policy: same-origin",
        "Content-Type: text/html; charset=utf-8",
    ] {
        assert!(head.contains(header), "{header} missing from\n{head}");
    }
    let (_, head, body) = get(port, "/python.wasm");
    assert!(head.contains("Content-Type: application/wasm") && body == b"\0asm\x01\0\0\0", "{head}");
    let (_, head, _) = get(port, "/lib/python.mjs?v=2");
    assert!(head.contains("Content-Type: text/javascript"), "{head}");
    let (status, head, body) = raw(port, "HEAD /python.wasm HTTP/1.1\r\n\r\n");
    assert!(status.contains("200") && head.contains("Content-Length: 8") && body.is_empty(), "{head}");

    for hostile in
        ["/../secret.txt", "/%2e%2e/secret.txt", "/lib/%2E%2E/%2E%2E/secret.txt", "/link.txt", "/lib/", "/lib"]
    {
        let (status, _, body) = get(port, hostile);
        assert_eq!(status, "HTTP/1.1 404 Not Found", "{hostile}");
        assert!(!String::from_utf8_lossy(&body).contains("outside"), "{hostile}");
    }
    assert!(raw(port, "POST / HTTP/1.1\r\n\r\n").0.contains("405"));
    assert!(raw(port, "GET /%00 HTTP/1.1\r\n\r\n").0.contains("400"));
    // A control character in the target is escaped in the log, not written raw.
    get(port, "/a\x1b[2Jb");

    // SAFETY: sending SIGINT to our own child.
    unsafe { libc::kill(served.child.id() as i32, libc::SIGINT) };
    let status = served.child.wait().unwrap();
    let mut log = String::new();
    served.log.read_to_string(&mut log).unwrap();
    assert!(status.success(), "serve exited with {status}; log:\n{log}");
    assert!(log.contains("\"GET /python.wasm\" 200 8"), "{log}");
    assert!(log.contains("\"GET /../secret.txt\" 404"), "{log}");
    assert!(log.contains("\\u{1b}[2J") && !log.contains('\x1b'), "{log}");
    assert!(log.trim_end().ends_with("serve: stopped"), "{log}");
}

#[test]
fn a_missing_bundle_and_a_taken_port_are_one_clear_line_each() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        Command::new(env!("CARGO_BIN_EXE_xtask")).args(["serve", "--work-dir"]).arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(text.contains("no web bundle at") && text.contains("--dir"), "{text}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["serve", "--port", &port, "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(text.contains("is in use") && text.contains("--port"), "{text}");
}

/// Content-Length of `head`.
fn content_length(head: &str) -> usize {
    let line = head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).expect("a Content-Length");
    line.trim().parse().unwrap()
}

/// Stops the server and returns its log.
fn stop(mut served: Served) -> String {
    // SAFETY: sending SIGINT to our own child.
    unsafe { libc::kill(served.child.id() as i32, libc::SIGINT) };
    served.child.wait().unwrap();
    let mut log = String::new();
    served.log.read_to_string(&mut log).unwrap();
    log
}

#[test]
fn every_error_response_sends_the_body_it_announces_and_the_method_is_escaped_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<p>repl</p>").unwrap();
    let served = serve(dir.path());
    let port = served.port;
    for (request, status) in [
        ("POST / HTTP/1.1\r\n\r\n", "405"),
        ("DELETE /index.html HTTP/1.1\r\n\r\n", "405"),
        ("GET /missing HTTP/1.1\r\n\r\n", "404"),
        ("GET /%zz HTTP/1.1\r\n\r\n", "400"),
        ("GET / HTTP/2.0\r\n\r\n", "400"),
        ("G\x1b[2JET / HTTP/1.1\r\n\r\n", "405"),
    ] {
        let (line, head, body) = raw(port, request);
        assert!(line.contains(status), "{request:?}: {line}");
        assert_eq!(body.len(), content_length(&head), "{request:?}: {head}");
        assert!(!body.is_empty(), "{request:?}");
    }
    let (line, head, body) = raw(port, "HEAD /missing HTTP/1.1\r\n\r\n");
    assert!(line.contains("404") && body.is_empty() && content_length(&head) > 0, "{head}");
    let log = stop(served);
    assert!(!log.contains('\x1b') && log.contains("\"G\\u{1b}[2JET /\" 405"), "{log}");
}

/// Four readers that read nothing of a 128 MiB file, then one that reads it all: memory stays
/// bounded (the file is streamed through a fixed buffer), and the whole file arrives.
#[test]
fn large_files_are_streamed_not_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let size = 128u64 << 20;
    std::fs::File::create(dir.path().join("big.bin")).unwrap().set_len(size).unwrap();
    let served = serve(dir.path());
    let slow: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
            stream.write_all(b"GET /big.bin HTTP/1.1\r\n\r\n").unwrap();
            stream
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{}/status", served.child.id())).unwrap();
    let rss_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(rss_kib < 64 * 1024, "serve holds {rss_kib} KiB with four readers of a 128 MiB file");
    let (line, head, body) = get(served.port, "/big.bin");
    assert!(line.contains("200") && content_length(&head) as u64 == size, "{head}");
    assert_eq!(body.len() as u64, size);
    drop(slow);
    stop(served);
}

/// With descriptors exhausted, accepting fails: the loop backs off (a few log lines, not a flood)
/// and serves again once descriptors return.
#[test]
fn running_out_of_descriptors_backs_off_and_serving_resumes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<p>repl</p>").unwrap();
    let served = serve_limited(dir.path(), Some(24));
    let held: Vec<TcpStream> = (0..40).filter_map(|_| TcpStream::connect(("127.0.0.1", served.port)).ok()).collect();
    std::thread::sleep(std::time::Duration::from_secs(2));
    drop(held);
    // Each held connection is answered (closed before its request ended) as descriptors free up.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let answered = loop {
        let stream = TcpStream::connect(("127.0.0.1", served.port));
        if let Ok(mut stream) = stream {
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let _ = stream.write_all(b"GET / HTTP/1.1\r\n\r\n");
            let mut response = Vec::new();
            let _ = stream.read_to_end(&mut response);
            if response.starts_with(b"HTTP/1.1 200") {
                break true;
            }
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let log = stop(served);
    assert!(answered, "not served again after descriptors returned:\n{log}");
    assert!(log.contains("accept failed"), "descriptors never ran out, so nothing was tested:\n{log}");
    let failures = log.lines().filter(|l| l.contains("accept failed")).count();
    assert!(failures < 10, "{failures} accept failures logged");
    assert!(log.lines().count() < 200, "{} log lines", log.lines().count());
}

/// A client that sends its request head a byte at a time, never falling silent for the read
/// timeout, is cut off when the head's 10 s are up.
#[test]
fn a_request_head_trickling_in_is_cut_off_after_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<p>repl</p>").unwrap();
    let served = serve(dir.path());
    let mut stream = TcpStream::connect(("127.0.0.1", served.port)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let started = std::time::Instant::now();
    std::thread::spawn(move || {
        writer.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        for _ in 0..60 {
            if writer.write_all(b"X").is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
    });
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(15), "the trickling head was served for {took:?}");
    assert!(response.starts_with(b"HTTP/1.1 400"), "{}", String::from_utf8_lossy(&response));
    stop(served);
}
