//! Fetch: get an artifact's verified bytes into the cache, from upstream or a mirror.
//!
//! - `download`: the streaming, verifying HTTP transfer (where the sha256 is checked);
//! - `cache`: the content-addressed cache, stamps and locks;
//! - `mirror`: where an artifact's bytes come from (upstream or a mirror);
//! - `extract`: safe archive extraction;
//! - `export`: `mirror export`;
//! - `progress`: bars and heartbeat lines.

pub mod cache;
pub mod download;
pub(crate) mod error;
pub mod export;
pub mod extract;
pub mod mirror;
pub mod progress;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, Context};
use reqwest::blocking::Client;
use sha2::{Digest, Sha256};

use crate::manifest::Artifact;
use crate::once;
use crate::text::PathText;
use crate::text::{printable, printable_path};
use cache::Cache;
use download::{Expected, FetchError, RetryPolicy};
use mirror::{Mirror, Source};
use progress::{Bar, ProgressMode};

/// Network settings read once at the edge (flags and environment).
#[derive(Debug, Clone, Default)]
pub struct NetworkSettings {
    pub https_proxy: Option<String>,
    pub http_proxy: Option<String>,
    pub no_proxy: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

/// Proxy and CA settings from the environment, upper or lower case, as curl reads them.
pub fn network_settings(env: &std::collections::BTreeMap<String, String>, timeout: Duration) -> NetworkSettings {
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

#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub cache: Cache,
    pub mirror: Option<Mirror>,
    pub offline: bool,
    pub verify: bool,
    pub network: NetworkSettings,
    pub progress: ProgressMode,
}

/// A verified file in the cache.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fetched {
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub path: PathBuf,
    /// Where the bytes came from; for a cache hit, where they would come from.
    pub source: String,
    pub cached: bool,
    /// The extracted tree, with `fetch --install`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed: Option<PathBuf>,
}

pub struct Fetcher {
    settings: FetchSettings,
    client: Option<Client>,
    retry: RetryPolicy,
}

impl Fetcher {
    pub fn new(settings: FetchSettings) -> anyhow::Result<Fetcher> {
        let client = if settings.offline { None } else { Some(build_client(&settings.network)?) };
        Ok(Fetcher { settings, client, retry: RetryPolicy::default() })
    }

    pub fn cache(&self) -> &Cache {
        &self.settings.cache
    }

    /// True with `--verify`: installs and cache hits are checked again.
    pub fn verifies_everything(&self) -> bool {
        self.settings.verify
    }

    /// Returns the verified file, fetching it if the cache lacks it. Errors are one line naming the
    /// artifact, the URL or path, and what to do.
    pub fn fetch(&self, artifact: &Artifact) -> anyhow::Result<Fetched> {
        let cache = &self.settings.cache;
        cache.check_entry(artifact)?;
        let source = mirror::source_for(artifact, self.settings.mirror.as_ref());
        let fetched = |path: PathBuf, cached| Fetched {
            name: artifact.name.clone(),
            version: artifact.version.clone(),
            sha256: artifact.sha256.clone(),
            path,
            source: source.location(),
            cached,
            installed: None,
        };
        if self.settings.verify {
            if let Some(path) = cache.lookup(artifact, true)? {
                return Ok(fetched(path, true));
            }
        }
        let current = || cache.lookup(artifact, false);
        let ensured = once::ensure(&cache.lock_path(artifact), &artifact.to_string(), current, || {
            self.transfer(artifact, &source)
        })?;
        Ok(fetched(ensured.value, !ensured.made))
    }

    /// Downloads or copies the artifact into the cache, verified; called under the entry's lock.
    fn transfer(&self, artifact: &Artifact, source: &Source) -> anyhow::Result<PathBuf> {
        let cache = &self.settings.cache;
        if self.settings.offline && source.needs_network() {
            return Err(crate::exit::fail(
                crate::exit::Failure::Network,
                format!(
                    "{artifact}: not in the cache {} and --offline forbids downloading {}; fetch it on a connected machine or use a file:// mirror",
                    cache.root.shown(),
                    source.location()
                ),
            ));
        }
        let partial = cache.partial_path(artifact);
        let expected = Expected { sha256: artifact.sha256.clone(), size: artifact.size };
        let step = format!("download {artifact}");
        crate::events::step(crate::events::Stage::Fetch, &step, None, || {
            let bar = Bar::start(self.settings.progress, &artifact.name, artifact.size, &source.location());
            let result = match source {
                Source::Url(url) => {
                    let client = self.client.as_ref().expect("a client exists when not offline");
                    download::download(client, url, &partial, &expected, &self.retry, &bar)
                }
                Source::File(path) => copy_local(path, &partial, &expected, &bar),
            };
            if let Err(error) = result {
                bar.abandon();
                let partial_kept = std::fs::metadata(&partial).is_ok_and(|m| m.len() > 0);
                return Err(failure_message(artifact, source, self.settings.mirror.is_some(), &error, partial_kept));
            }
            let path = cache.commit(artifact, &partial)?;
            bar.finish("verified");
            Ok(path)
        })
    }

    /// Fetches the artifact and extracts it into `dest` (which must not exist). The archive's
    /// sha256 is checked again on the very file being extracted, and its unpacked size is
    /// bounded; a cached copy that no longer matches is removed and fetched once more.
    pub fn extract_to(&self, artifact: &Artifact, strip: Option<&str>, dest: &Path) -> anyhow::Result<()> {
        let check = extract::Check { sha256: Some(artifact.sha256.clone()), max_unpacked: artifact.unpacked_size };
        let mut fetched = self.fetch(artifact)?;
        let mut result = extract::extract(&fetched.path, artifact.format, strip, dest, &check);
        if matches!(result, Err(extract::ExtractError::Mismatch { .. })) && fetched.cached {
            eprintln!(
                "fetch: {artifact}: the cached copy at {} changed after it was verified; fetching it again",
                fetched.path.shown()
            );
            let cache = &self.settings.cache;
            {
                let _lock = once::lock(&cache.lock_path(artifact), &artifact.to_string())?;
                cache.remove(artifact)?;
            }
            fetched = self.fetch(artifact)?;
            result = extract::extract(&fetched.path, artifact.format, strip, dest, &check);
        }
        result.map_err(|error| {
            anyhow!("{artifact}: extract {}: {error}; {}", printable_path(&fetched.path), error.hint())
        })
    }
}

fn failure_message(
    artifact: &Artifact,
    source: &Source,
    from_mirror: bool,
    error: &FetchError,
    partial_kept: bool,
) -> anyhow::Error {
    use crate::exit::{fail, Failure};
    let missing = matches!(error, FetchError::Status { status: 404, .. } | FetchError::Missing { .. });
    if from_mirror && missing {
        return fail(
            Failure::Network,
            format!(
                "{artifact}: not in the mirror: expected {}; add it with `cargo xtask mirror export` on a connected machine",
                source.location()
            ),
        );
    }
    // No answer at all, and no mirror given: an air-gapped machine needs one.
    let mirror_hint = match (error, from_mirror) {
        (FetchError::Network { .. } | FetchError::Silent { .. }, false) => {
            "; without network access, build from a mirror with --mirror DIR|URL (docs/mirror.md)"
        }
        _ => "",
    };
    let failure = if matches!(error, FetchError::Io { .. }) { Failure::Host } else { Failure::Network };
    fail(failure, format!("{artifact}: {error}; {}{mirror_hint}", error.hint(partial_kept)))
}

/// Reads a file from a local mirror through the same verifying stream as a download.
fn copy_local(path: &Path, partial: &Path, expected: &Expected, bar: &Bar) -> Result<(), FetchError> {
    let local = |message: String| FetchError::Local { path: path.to_owned(), message };
    let mut reader = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FetchError::Missing { path: path.to_owned() },
        _ => local(e.to_string()),
    })?;
    let file = download::open_partial(partial, false)?;
    let written = download::Partial { file, path: partial, hasher: Sha256::new(), already: 0 };
    let result = download::stream_and_check(&mut reader, written, expected, &path.plain(), bar).map_err(|error| {
        match error {
            // Reading a local file is not a network fault.
            FetchError::Network { message, .. } => local(message),
            other => other,
        }
    });
    if result.is_err() {
        // The copy is worthless; a failure to remove it changes nothing for the caller.
        crate::files::remove_file_if_exists(partial).ok();
    }
    result
}

/// Redirects are held to the manifest's rule for URLs (https, or plain http to loopback), may not
/// go from https to plain http, and stop after ten.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let to = attempt.url().as_str().to_owned();
        let from_https = attempt.previous().iter().any(|u| u.scheme() == "https");
        if attempt.previous().len() > 10 {
            attempt.error(format!("more than 10 redirects, the last to {}", printable(&to)))
        } else if let Err(problem) = crate::manifest::check_url(&to).and_then(|()| web_url(&to)) {
            attempt.error(format!("refused a redirect: {problem}"))
        } else if from_https && to.starts_with("http://") {
            attempt.error(format!("refused a redirect from https to plain http ({})", printable(&to)))
        } else {
            attempt.follow()
        }
    })
}

fn web_url(url: &str) -> Result<(), String> {
    match url.starts_with("https://") || url.starts_with("http://") {
        true => Ok(()),
        false => Err(format!("`{}` is not an http(s) URL", printable(url))),
    }
}

/// The HTTP client every download uses: the proxies, CA bundle and timeout of `network`, and the
/// redirect rule of the manifest's URLs.
pub fn build_client(network: &NetworkSettings) -> anyhow::Result<Client> {
    let mut builder = Client::builder()
        .user_agent(concat!("cpython-wasm-xtask/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(network.timeout)
        // For the blocking client this bounds the wait for the response headers, and then each
        // read of the body, so a stalled body fails without limiting how long a large download
        // may take.
        .timeout(network.timeout)
        .redirect(redirect_policy())
        .no_proxy();
    let no_proxy = network.no_proxy.as_deref().and_then(reqwest::NoProxy::from_string);
    if let Some(url) = &network.https_proxy {
        let proxy =
            reqwest::Proxy::https(url).with_context(|| format!("HTTPS_PROXY `{url}` is not a valid proxy URL"))?;
        builder = builder.proxy(proxy.no_proxy(no_proxy.clone()));
    }
    if let Some(url) = &network.http_proxy {
        let proxy =
            reqwest::Proxy::http(url).with_context(|| format!("HTTP_PROXY `{url}` is not a valid proxy URL"))?;
        builder = builder.proxy(proxy.no_proxy(no_proxy));
    }
    if let Some(ca_file) = &network.ca_file {
        let pem =
            std::fs::read(ca_file).with_context(|| format!("read the CA bundle SSL_CERT_FILE={}", ca_file.shown()))?;
        let certificates =
            reqwest::Certificate::from_pem_bundle(&pem).ok().filter(|c| !c.is_empty()).with_context(|| {
                format!("SSL_CERT_FILE={} holds no valid PEM certificate; point it at a PEM bundle", ca_file.shown())
            })?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().context("create the HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_are_read_in_either_case() {
        let env = [("https_proxy", "http://p:3128"), ("NO_PROXY", "localhost"), ("SSL_CERT_FILE", "/ca.pem")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let n = network_settings(&env, Duration::from_secs(3));
        assert_eq!(n.https_proxy.as_deref(), Some("http://p:3128"));
        assert_eq!(n.http_proxy, None);
        assert_eq!(n.no_proxy.as_deref(), Some("localhost"));
        assert_eq!(n.ca_file, Some(PathBuf::from("/ca.pem")));
    }
}
