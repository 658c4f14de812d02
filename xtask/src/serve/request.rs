//! One HTTP/1.x request head, read with a size limit, and its target decoded to a path.

use std::io::Read;

/// More than this before the blank line ends the head is refused.
const HEAD_LIMIT: usize = 16 * 1024;

pub struct Request {
    pub method: String,
    /// The target as sent (for the log).
    pub target: String,
    /// The target's path, percent-decoded, without query or fragment.
    pub path: String,
}

/// Reads the request head; a reason to refuse it otherwise.
pub fn read_request(stream: &mut impl Read) -> Result<Request, String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= HEAD_LIMIT {
            return Err("request head too large".into());
        }
        match stream.read(&mut byte) {
            Ok(0) => return Err("connection closed before the request ended".into()),
            Ok(_) => head.push(byte[0]),
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
    let text = String::from_utf8(head).map_err(|_| "request head is not UTF-8".to_owned())?;
    parse_line(text.lines().next().unwrap_or(""))
}

/// `GET /a%20b?x HTTP/1.1` → method, target, decoded path.
pub fn parse_line(line: &str) -> Result<Request, String> {
    let mut words = line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (words.next(), words.next(), words.next(), words.next())
    else {
        return Err("malformed request line".into());
    };
    if !version.starts_with("HTTP/1.") {
        return Err("not HTTP/1.x".into());
    }
    if !target.starts_with('/') {
        return Err("the target is not a path".into());
    }
    let raw = target.split(['?', '#']).next().unwrap_or("");
    let path = decode(raw).ok_or_else(|| "bad percent-encoding in the path".to_owned())?;
    Ok(Request { method: method.to_owned(), target: target.to_owned(), path })
}

/// Percent-decoding to UTF-8; None for a broken escape, a NUL or bytes that are not UTF-8.
fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0')).then_some(text)
}
