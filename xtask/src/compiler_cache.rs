//! The compiler cache: ccache around the compilers of the build steps, its objects kept in the
//! tool's cache (`CACHE/ccache`) and, for a fleet, also in a shared remote storage (a Redis or an
//! HTTP server, ccache's own `remote_storage`). Off unless asked for (`--compiler-cache ccache`).
//!
//! A hit must not depend on where the work dir, the cache or the toolchain are: `base_dir` is the
//! work dir (ccache hashes paths inside it relative to the build directory), the work dir sees
//! the WASI SDK and the libraries through its own links (toolchains::view), `hash_dir` is off (the
//! prefix maps keep the build directory out of the objects) and the compiler is known by its
//! content, not its path or mtime. Nothing of the caller's ccache configuration is read.
//!
//! The cache changes no output: its settings are not part of a step's key, and the compilers
//! the build names are the same paths with and without it. A remote that is down or answers
//! garbage is found by a probe before each step and left out of that step.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::process::{Cmd, Env};
use crate::text::PathText;

/// The compiler cache a build uses.
#[derive(Debug, Clone)]
pub struct CompilerCache {
    /// The ccache program.
    pub program: PathBuf,
    /// The local storage (`CACHE/ccache`).
    pub dir: PathBuf,
    pub remote: Option<Remote>,
}

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
    fn setting(&self) -> String {
        format!("{}|connect-timeout={CONNECT_MS}|operation-timeout={OPERATION_MS}", self.url)
    }
}

impl CompilerCache {
    /// ccache's settings for one step: its objects in `dir` (and the remote, when `remote` is
    /// on), paths hashed relative to `base_dir`, each compile's result appended to `stats_log`.
    pub fn env(&self, base_dir: &Path, stats_log: &Path, remote: bool) -> Env {
        let mut env = Env::new();
        let mut set = |name: &str, value: String| env.insert(name.to_owned(), value);
        set("CCACHE_DIR", self.dir.plain());
        set("CCACHE_TEMPDIR", self.dir.join("tmp").plain());
        // A file of ours that is never written: no ccache.conf of the user's applies.
        set("CCACHE_CONFIGPATH", self.dir.join("xtask-ccache.conf").plain());
        set("CCACHE_BASEDIR", base_dir.plain());
        set("CCACHE_NOHASHDIR", "1".into());
        set("CCACHE_COMPILERCHECK", "content".into());
        set("CCACHE_MAXSIZE", "5G".into());
        set("CCACHE_STATSLOG", stats_log.plain());
        if let (Some(remote), true) = (&self.remote, remote) {
            set("CCACHE_REMOTE_STORAGE", remote.setting());
        }
        env
    }

    /// What the run record keeps.
    pub fn record(&self) -> CacheRecord {
        CacheRecord {
            kind: "ccache".into(),
            dir: self.dir.clone(),
            remote: self.remote.as_ref().map(|r| r.shown.clone()),
        }
    }
}

/// What `doctor` says of the compiler cache.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// `ccache version 4.7.5`, or none when the program does not run.
    pub version: Option<String>,
    /// Whether it was built with Redis storage.
    pub redis: bool,
    pub dir: PathBuf,
    /// The local storage's size.
    pub bytes: u64,
    pub remote: Option<String>,
    /// Why the remote does not answer, if it does not.
    pub remote_down: Option<String>,
}

/// The compiler cache's state: the program's version and features, the local storage's size,
/// whether the remote answers.
pub fn state(cache: &CompilerCache) -> State {
    let env = crate::process::system_env();
    let output = Cmd::new(&cache.program, Path::new("/"), &env).arg("--version").read().ok();
    let version =
        output.as_deref().and_then(|text| text.lines().next()).map(|line| crate::text::printable(line.trim()));
    let redis = output
        .as_deref()
        .is_some_and(|text| text.lines().any(|l| l.starts_with("Features:") && l.contains("redis-storage")));
    let bytes = crate::files::tree_bytes(&cache.dir);
    let remote_down = cache.remote.as_ref().and_then(|remote| remote.answers().err());
    State {
        version,
        redis,
        dir: cache.dir.clone(),
        bytes,
        remote: cache.remote.as_ref().map(|r| r.shown.clone()),
        remote_down,
    }
}

/// The compiler cache a build used, in its run record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRecord {
    pub kind: String,
    pub dir: PathBuf,
    pub remote: Option<String>,
}

/// What ccache did for the compiles of one step, read from its stats log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Compiles answered from the cache (local or remote).
    pub hits: u64,
    /// Of those, answered by the remote.
    pub remote_hits: u64,
    /// Compiles the compiler ran and the cache stored.
    pub misses: u64,
    /// Calls ccache passed on to the compiler (links, preprocessing, configure's failing
    /// checks).
    pub uncacheable: u64,
    /// Calls for which the remote failed (down, timed out, garbage).
    pub remote_errors: u64,
}

impl Tally {
    /// hits / (hits + misses), or none when nothing was cacheable.
    pub fn hit_rate(&self) -> Option<f64> {
        let cacheable = self.hits + self.misses;
        (cacheable > 0).then(|| self.hits as f64 / cacheable as f64)
    }
}

/// Reads ccache's stats log (`# FILE` then one counter name per line, per compile).
pub fn tally(text: &str) -> Tally {
    let mut tally = Tally::default();
    let mut counters: Vec<&str> = vec![];
    let finish = |counters: &mut Vec<&str>, tally: &mut Tally| {
        if counters.is_empty() {
            return;
        }
        let has = |name: &str| counters.contains(&name);
        if has("direct_cache_hit") || has("preprocessed_cache_hit") {
            tally.hits += 1;
            if has("remote_storage_hit") {
                tally.remote_hits += 1;
            }
        } else if has("cache_miss") {
            tally.misses += 1;
        } else {
            tally.uncacheable += 1;
        }
        if has("remote_storage_error") || has("remote_storage_timeout") {
            tally.remote_errors += 1;
        }
        counters.clear();
    };
    for line in text.lines() {
        if line.starts_with('#') {
            finish(&mut counters, &mut tally);
            counters.push("");
        } else if !line.trim().is_empty() {
            counters.push(line.trim());
        }
    }
    finish(&mut counters, &mut tally);
    tally
}

/// The stats log of a step, beside its log.
pub fn stats_log(log: &Path) -> PathBuf {
    log.with_extension("ccache-stats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stats_log_counts_hits_misses_and_the_rest() {
        let log = "# ../t.c\ncache_miss\ndirect_cache_miss\nlocal_storage_write\n\
                   # ../t.c\ndirect_cache_hit\nlocal_storage_hit\n\
                   # ../u.c\ndirect_cache_hit\nremote_storage_hit\nremote_storage_read_hit\n\
                   # conftest.c\ncalled_for_link\n\
                   # x.c\npreprocessed_cache_miss\nremote_storage_error\ncache_miss\n";
        let tally = tally(log);
        assert_eq!(tally, Tally { hits: 2, remote_hits: 1, misses: 2, uncacheable: 1, remote_errors: 1 });
        assert_eq!(tally.hit_rate(), Some(0.5));
        assert_eq!(super::tally("").hit_rate(), None);
    }

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
