//! The edge: flags and the environment are read here, once, and turned into plain values.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::fetch::cache::Cache;
use crate::fetch::progress::ProgressMode;
use crate::fetch::source::Mirror;
use crate::fetch::{FetchSettings, Fetcher, NetworkSettings};
use crate::flags::{Global, MessageFormat, ProgressFlag};
use crate::manifest::Manifest;

/// Everything a command needs from the outside world.
pub struct Context {
    pub workspace: PathBuf,
    pub manifest: Manifest,
    pub fetch: FetchSettings,
    pub message_format: MessageFormat,
    pub host: String,
    /// The process environment at start, for the few commands that pass parts of it on.
    pub env: BTreeMap<String, String>,
}

impl Context {
    pub fn from_flags(global: &Global, env: BTreeMap<String, String>) -> anyhow::Result<Context> {
        let workspace = workspace_root();
        let manifest_path = global.manifest.clone().unwrap_or_else(|| workspace.join("sdk-manifest.toml"));
        let mut manifest = Manifest::load(&manifest_path)?;
        for overlay in &global.overlay {
            manifest.apply_overlay(Manifest::load(overlay)?);
        }
        let cache_root = match &global.cache_dir {
            Some(dir) => dir.clone(),
            None => default_cache_dir(&env)?,
        };
        let progress = match global.progress {
            Some(ProgressFlag::Bar) => ProgressMode::Bar,
            Some(ProgressFlag::Lines) => ProgressMode::Lines,
            Some(ProgressFlag::Quiet) => ProgressMode::Quiet,
            None if std::io::stderr().is_terminal() => ProgressMode::Bar,
            None => ProgressMode::Lines,
        };
        let fetch = FetchSettings {
            cache: Cache::new(absolute(&cache_root)),
            mirror: global.mirror.as_deref().filter(|m| !m.is_empty()).map(Mirror::parse),
            offline: global.offline,
            verify: global.verify,
            network: network_settings(&env, Duration::from_secs(global.timeout.max(1))),
            progress,
        };
        Ok(Context { workspace, manifest, fetch, message_format: global.message_format, host: host_triple(), env })
    }

    pub fn fetcher(&self) -> anyhow::Result<Fetcher> {
        Fetcher::new(self.fetch.clone())
    }
}

/// Proxy and CA settings from the environment, upper or lower case, as curl reads them.
pub fn network_settings(env: &BTreeMap<String, String>, timeout: Duration) -> NetworkSettings {
    let get =
        |name: &str| env.get(name).or_else(|| env.get(&name.to_ascii_lowercase())).filter(|v| !v.is_empty()).cloned();
    NetworkSettings {
        https_proxy: get("HTTPS_PROXY").or_else(|| get("ALL_PROXY")),
        http_proxy: get("HTTP_PROXY").or_else(|| get("ALL_PROXY")),
        no_proxy: get("NO_PROXY"),
        ca_file: get("SSL_CERT_FILE").map(PathBuf::from),
        timeout,
    }
}

fn default_cache_dir(env: &BTreeMap<String, String>) -> anyhow::Result<PathBuf> {
    if let Some(xdg) = env.get("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("cpython-wasm-xtask"));
    }
    dirs::cache_dir()
        .map(|d| d.join("cpython-wasm-xtask"))
        .context("no user cache directory; pass --cache-dir DIR or set BOOTSTRAP_CACHE_DIR")
}

/// The workspace root: the parent of the xtask crate.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

pub fn host_triple() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_read_in_either_case() {
        let env: BTreeMap<String, String> =
            [("https_proxy", "http://p:3128"), ("NO_PROXY", "localhost"), ("SSL_CERT_FILE", "/ca.pem")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        let n = network_settings(&env, Duration::from_secs(3));
        assert_eq!(n.https_proxy.as_deref(), Some("http://p:3128"));
        assert_eq!(n.http_proxy, None);
        assert_eq!(n.no_proxy.as_deref(), Some("localhost"));
        assert_eq!(n.ca_file, Some(PathBuf::from("/ca.pem")));
    }
}
