//! Streaming download with verification, retries and resume. This is where bytes are checked.
//!
//! Bytes go to `<file>.partial` while sha256 and size are computed on the fly. Transient faults
//! (connection errors, timeouts, 5xx, 408, 429) are retried with bounded backoff, resuming with a
//! Range request when the server answers 206 and restarting when it does not. A 4xx, an HTML page,
//! a size or hash mismatch are final: the partial file is deleted and nothing enters the cache.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use sha2::{Digest, Sha256};

pub use super::error::FetchError;
use super::progress::Bar;
use crate::files::{hex, remove_file_if_exists};
use crate::text::printable;

/// What the bytes must be.
#[derive(Debug, Clone)]
pub struct Expected {
    pub sha256: String,
    pub size: Option<u64>,
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> FetchError + '_ {
    move |e| FetchError::Io { path: path.to_owned(), message: e.to_string() }
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy { attempts: 5, first_delay: Duration::from_millis(250) }
    }
}

/// Downloads `url` into `partial`, retrying transient faults, and returns once the file matches
/// `expected`. On a final error the partial file is removed; on a network error it is kept.
pub fn download(
    client: &Client,
    url: &str,
    partial: &Path,
    expected: &Expected,
    retry: &RetryPolicy,
    bar: &Bar,
) -> Result<(), FetchError> {
    let mut delay = retry.first_delay;
    let mut attempt = 1;
    let mut restarted = false;
    // A server that sent nothing twice running is down, not slow: two waits, not five.
    let mut silent = 0;
    loop {
        let resuming = fs::metadata(partial).is_ok_and(|m| m.len() > 0);
        match download_once(client, url, partial, expected, bar) {
            Ok(()) => return Ok(()),
            // Bytes kept from an earlier run (perhaps from another server) can be the bad ones:
            // start once more from zero before blaming this server or the pin.
            Err(FetchError::HashMismatch { .. } | FetchError::SizeMismatch { .. }) if resuming && !restarted => {
                bar.note("the resumed file does not match the pin; starting again from zero");
                remove_file_if_exists(partial).ok();
                restarted = true;
            }
            Err(e @ FetchError::Silent { .. }) if silent > 0 => return Err(e),
            Err(e) if e.is_transient() && attempt < retry.attempts => {
                silent = if matches!(e, FetchError::Silent { .. }) { silent + 1 } else { 0 };
                bar.note(&format!(
                    "{}; retrying in {:.1}s (attempt {}/{})",
                    printable(&e.to_string()),
                    delay.as_secs_f64(),
                    attempt + 1,
                    retry.attempts
                ));
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(8));
                attempt += 1;
            }
            Err(e) => {
                if !e.is_transient() {
                    // The bytes are known bad; if they cannot be removed, the next run checks them again.
                    remove_file_if_exists(partial).ok();
                }
                return Err(e);
            }
        }
    }
}

fn download_once(client: &Client, url: &str, partial: &Path, expected: &Expected, bar: &Bar) -> Result<(), FetchError> {
    let network = |e: reqwest::Error| {
        let (url, message) = (url.to_owned(), printable(&error_chain(&e)));
        match e.is_redirect() {
            true => FetchError::Redirect { url, message },
            false => FetchError::Network { url, message },
        }
    };
    let have = fs::metadata(partial).map(|m| m.len()).unwrap_or(0);
    let resume_from = if expected.size.is_some_and(|s| have >= s) { 0 } else { have };
    let mut request = client.get(url);
    if resume_from > 0 {
        request = request.header(RANGE, format!("bytes={resume_from}-"));
    }
    let response = request.send().map_err(|e| {
        match e.is_timeout() || e.is_connect() && error_chain(&e).contains("timed out") {
            true => FetchError::Silent { url: url.to_owned(), message: printable(&error_chain(&e)) },
            false => network(e),
        }
    })?;
    let status = response.status().as_u16();
    let resumed = resume_from > 0 && status == 206 && content_range_starts_at(&response, resume_from);
    if status == 416 || (status == 206 && !resumed) {
        // The server cannot continue this partial file: start again from zero.
        remove_file_if_exists(partial).ok();
        return Err(FetchError::Network {
            url: url.to_owned(),
            message: format!("HTTP {status} on resume; restarting"),
        });
    }
    if !(200..300).contains(&status) {
        return Err(FetchError::Status { url: url.to_owned(), status });
    }
    let is_html =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if is_html && !resumed {
        return Err(FetchError::Html { source_name: url.to_owned() });
    }
    let length = response.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if let (Some(size), Some(length), false) = (expected.size, length, resumed) {
        if size != length {
            return Err(FetchError::SizeMismatch { source_name: url.to_owned(), expected: size, actual: length });
        }
    }
    let mut file = open_partial(partial, resumed)?;
    let mut hasher = Sha256::new();
    if resumed {
        bar.note(&format!("resuming at {} bytes", resume_from));
        hash_existing(partial, resume_from, &mut hasher)?;
        file.seek(SeekFrom::Start(resume_from)).map_err(io_error(partial))?;
    }
    bar.set_position(if resumed { resume_from } else { 0 });
    let mut reader = response;
    let already = if resumed { resume_from } else { 0 };
    stream_and_check(&mut reader, Partial { file, path: partial, hasher, already }, expected, url, bar)
}

fn content_range_starts_at(response: &reqwest::blocking::Response, offset: u64) -> bool {
    response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(&format!("bytes {offset}-")))
}

/// Opens the partial file to continue it (`keep`) or to start it afresh. Whatever is at that
/// path and is not a plain file (a link planted there, say) is removed, never followed.
pub(super) fn open_partial(partial: &Path, keep: bool) -> Result<File, FetchError> {
    let planted = fs::symlink_metadata(partial).is_ok_and(|m| !m.file_type().is_file());
    if planted || !keep {
        remove_file_if_exists(partial)
            .map_err(|e| FetchError::Io { path: partial.to_owned(), message: crate::text::error_text(&e) })?;
    }
    crate::files::no_follow().create(true).write(true).open(partial).map_err(io_error(partial))
}

fn hash_existing(partial: &Path, length: u64, hasher: &mut Sha256) -> Result<(), FetchError> {
    let file = crate::files::no_follow().read(true).open(partial).map_err(io_error(partial))?;
    let mut limited = file.take(length);
    io::copy(&mut limited, hasher).map_err(io_error(partial))?;
    Ok(())
}

/// The partial file a download writes: open at its end, with the bytes already in it (a resumed
/// download) counted and hashed.
pub struct Partial<'a> {
    pub file: File,
    pub path: &'a Path,
    pub hasher: Sha256,
    pub already: u64,
}

/// Copies `reader` into the partial file while hashing, then compares size and sha256 with
/// `expected`. Used for HTTP and local mirrors.
pub fn stream_and_check(
    reader: &mut dyn Read,
    partial: Partial,
    expected: &Expected,
    source_name: &str,
    bar: &Bar,
) -> Result<(), FetchError> {
    let Partial { mut file, path: partial, mut hasher, already } = partial;
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = already;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = file.flush();
                return Err(read_error(source_name, &e));
            }
        };
        let chunk = &buffer[..n];
        if total == 0 && looks_like_html(chunk) {
            return Err(FetchError::Html { source_name: source_name.to_owned() });
        }
        total += n as u64;
        if let Some(size) = expected.size.filter(|&s| total > s) {
            return Err(FetchError::SizeMismatch {
                source_name: source_name.to_owned(),
                expected: size,
                actual: total,
            });
        }
        hasher.update(chunk);
        file.write_all(chunk).map_err(io_error(partial))?;
        bar.inc(n as u64);
    }
    file.sync_all().map_err(io_error(partial))?;
    if let Some(size) = expected.size.filter(|&s| s != total) {
        return Err(FetchError::SizeMismatch { source_name: source_name.to_owned(), expected: size, actual: total });
    }
    let actual = hex(&hasher.finalize());
    if actual != expected.sha256 {
        return Err(FetchError::HashMismatch {
            source_name: source_name.to_owned(),
            expected: expected.sha256.clone(),
            actual,
        });
    }
    Ok(())
}

/// A failed read of the body: "timed out" when the server went silent, the cause otherwise.
fn read_error(source_name: &str, error: &io::Error) -> FetchError {
    let chain = error_chain(error);
    let timed_out = error.kind() == io::ErrorKind::TimedOut || chain.contains("timed out");
    let message =
        if timed_out { "timed out: the server sent nothing for the --timeout period".to_owned() } else { chain };
    FetchError::Network { url: source_name.to_owned(), message }
}

/// An archive never starts with an HTML tag; an error page saved as a tarball does.
pub fn looks_like_html(first: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&first[..first.len().min(512)]).trim_start().to_ascii_lowercase();
    text.starts_with("<!doctype html") || text.starts_with("<html") || text.starts_with("<head")
}

/// reqwest nests the useful cause (connection reset, timed out) a few levels down.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_recognised_by_its_first_bytes() {
        assert!(looks_like_html(b"  <!DOCTYPE html><html>"));
        assert!(looks_like_html(b"<HTML><body>404</body>"));
        assert!(!looks_like_html(&[0x1f, 0x8b, 0x08, 0x00]));
        assert!(!looks_like_html(b"\xfd7zXZ\x00"));
    }

    #[test]
    fn transient_faults_are_told_from_final_ones() {
        let status = |status| FetchError::Status { url: "u".into(), status };
        assert!(status(500).is_transient() && status(503).is_transient() && status(429).is_transient());
        assert!(!status(404).is_transient() && !status(403).is_transient());
        assert!(FetchError::Network { url: "u".into(), message: "reset".into() }.is_transient());
        let mismatch = FetchError::HashMismatch { source_name: "u".into(), expected: "a".into(), actual: "b".into() };
        assert!(!mismatch.is_transient());
    }
}
