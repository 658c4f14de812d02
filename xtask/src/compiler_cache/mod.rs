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

mod remote;
mod step;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::process::{Cmd, Env};
use crate::text::PathText;
pub use remote::Remote;
pub use step::{CacheUse, RemoteUse, Tally};

/// The compiler cache a build uses.
#[derive(Debug, Clone)]
pub struct CompilerCache {
    /// The ccache program.
    pub program: PathBuf,
    /// The local storage (`CACHE/ccache`).
    pub dir: PathBuf,
    pub remote: Option<Remote>,
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

/// The compiler cache's state: the program's version and features and, with `full` (doctor),
/// the local storage's size and whether the remote answers. Without `full` (bootstrap's
/// pre-flight) neither is read: a build walks no cache tree and waits for no remote before it
/// starts, and each step probes the remote itself.
pub fn state(cache: &CompilerCache, full: bool) -> State {
    let env = crate::process::system_env();
    let output = Cmd::new(&cache.program, Path::new("/"), &env).arg("--version").read().ok();
    let version =
        output.as_deref().and_then(|text| text.lines().next()).map(|line| crate::text::printable(line.trim()));
    let redis = output
        .as_deref()
        .is_some_and(|text| text.lines().any(|l| l.starts_with("Features:") && l.contains("redis-storage")));
    let bytes = if full { crate::files::tree_bytes(&cache.dir) } else { 0 };
    let remote_down = cache.remote.as_ref().filter(|_| full).and_then(|remote| remote.answers().err());
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
