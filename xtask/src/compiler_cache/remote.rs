//! The remote storage a fleet shares: its URL, and the probe that tells whether it answers.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A remote storage, as ccache's `remote_storage` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// The URL as given (`redis://HOST:PORT`, `http://HOST:PORT/PATH`).
    pub url: String,
    /// The URL without user and password, for the record and for messages.
    pub shown: String,
    host: String,
    port: u16,
    redis: bool,
}

/// How long a remote may take: to connect, and to answer one operation. ccache waits this long
/// per compile; the probe before each step waits it once.
const CONNECT_MS: u64 = 500;
const OPERATION_MS: u64 = 3000;

impl Remote {
    /// A `redis://` or `http://` URL with a host and (for redis, or by default 80) a port.
    pub fn parse(text: &str) -> Result<Remote, String> {
        let url = reqwest::Url::parse(text).map_err(|e| {
            format!(
                "`{}` is not a URL ({e}): give redis://HOST:PORT or http://HOST:PORT/PATH",
                crate::text::printable(text)
            )
        })?;
        let redis = match url.scheme() {
            "redis" => true,
            "http" => false,
            other => {
                return Err(format!(
                    "`{}` is not a remote ccache can use: the scheme `{other}` is neither redis:// nor http://",
                    crate::text::printable(text)
                ))
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("`{}` names no host: give redis://HOST:PORT", crate::text::printable(text)))?;
        let port = url.port().unwrap_or(if redis { 6379 } else { 80 });
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        Ok(Remote { url: text.to_owned(), shown: shown.to_string(), host, port, redis })
    }

    /// Whether the remote answers now: a connection within CONNECT_MS and, for Redis, a reply to
    /// PING (PONG, or an error asking for a password: it is a Redis) within OPERATION_MS.
    pub fn answers(&self) -> Result<(), String> {
        let address = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {}: {e}", self.shown))?
            .next()
            .ok_or_else(|| format!("{} resolves to no address", self.shown))?;
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(CONNECT_MS))
            .map_err(|e| format!("cannot connect to {}: {e}", self.shown))?;
        if !self.redis {
            return Ok(());
        }
        let wait = Some(Duration::from_millis(OPERATION_MS));
        stream.set_read_timeout(wait).and_then(|_| stream.set_write_timeout(wait)).map_err(|e| e.to_string())?;
        stream.write_all(b"PING\r\n").map_err(|e| format!("{} took no request: {e}", self.shown))?;
        let mut reply = [0u8; 64];
        let n = stream.read(&mut reply).map_err(|e| format!("{} did not answer PING: {e}", self.shown))?;
        let reply = &reply[..n];
        if reply.starts_with(b"+PONG") || reply.starts_with(b"-NOAUTH") {
            return Ok(());
        }
        Err(format!(
            "{} answered PING with {:?}, not a Redis",
            self.shown,
            crate::text::printable(&String::from_utf8_lossy(reply))
        ))
    }

    pub fn is_redis(&self) -> bool {
        self.redis
    }

    /// ccache's remote_storage value: the URL with the timeouts.
    pub(super) fn setting(&self) -> String {
        format!("{}|connect-timeout={CONNECT_MS}|operation-timeout={OPERATION_MS}", self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_are_redis_or_http_urls_with_a_host() {
        let remote = Remote::parse("redis://user:secret@127.0.0.1:7000").unwrap();
        assert_eq!((remote.host.as_str(), remote.port, remote.redis), ("127.0.0.1", 7000, true));
        assert!(!remote.shown.contains("secret"), "{}", remote.shown);
        assert_eq!(Remote::parse("redis://cache.local").unwrap().port, 6379);
        assert!(!Remote::parse("http://[::1]:8080/ccache").unwrap().redis);
        for bad in ["ftp://x:1", "redis:///", "not a url", "file:///tmp/x"] {
            assert!(Remote::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_closed_port_does_not_answer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert!(Remote::parse(&format!("redis://127.0.0.1:{port}")).unwrap().answers().is_err());
    }
}
