//! Pin: manifest entries from each publisher's own checksum record, never from the bytes alone
//! (docs/manifest.md). For each file the record is read, the file is downloaded once and checked
//! against it (sha256, or sqlite's SHA3-256, and the size where the record gives one), and only
//! then is the entry made. Nothing is written when any of them fails.
//!
//! - `publishers`: where each component's record and file live, per host (data);
//! - `records`: reading each kind of record;
//! - `check`: downloading a file and checking it against its record.

mod check;
mod publishers;
mod records;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use reqwest::blocking::Client;

use crate::fetch::Fetcher;
use crate::manifest::{ArchiveFormat, Artifact, Manifest};
use crate::source::{PythonLine, TreePins};
use crate::toolchains::major;
pub use check::Expected;
pub use publishers::{host, Bases, Component, HOSTS};

/// One `pin` request: a component at a version, for some hosts.
#[derive(Debug, Clone)]
pub struct Request {
    pub component: Component,
    pub version: String,
    /// Manifest host names; empty for a component that is not per host.
    pub hosts: Vec<String>,
    /// CPython lines the entry serves; empty: taken from an entry of the same name, or the
    /// version (cpython).
    pub python: Vec<String>,
    /// The emsdk tag or commit whose records name the emscripten release (default: the version,
    /// which emsdk tags).
    pub emsdk_ref: Option<String>,
}

/// How pins are taken: the record sources, the network, and whether a file without a record may
/// be pinned by the tool's own measurement.
pub struct Publishers<'a> {
    pub bases: &'a Bases,
    pub client: &'a Client,
    pub fetcher: &'a Fetcher,
    pub trust_download: bool,
}

/// Where one file and its record are: what `check` needs.
#[derive(Debug, Clone)]
pub struct Located {
    pub file_url: String,
    pub expected: Expected,
    /// Names the record (kept in the entry's `record` field).
    pub record: String,
    pub strip: String,
}

/// Makes the entries of a request: every file located, downloaded and checked. `manifest` gives
/// the lines of an existing entry of the same name.
pub fn entries(request: &Request, manifest: &Manifest, how: &Publishers) -> anyhow::Result<Vec<Artifact>> {
    let component = request.component;
    let version = normalized_version(component, &request.version);
    let name = component.entry_name(&version);
    let python = lines_for(request, &name, manifest)?;
    let hosts: Vec<Option<String>> = match component.per_host() {
        true if request.hosts.is_empty() => bail!("pin {}: say which hosts with --host", component.name()),
        true => request.hosts.iter().cloned().map(Some).collect(),
        false => vec![None],
    };
    let mut out = Vec::new();
    for host_name in hosts {
        let host = host_name.as_deref().map(|h| publishers::host(h).expect("hosts are checked at the edge"));
        let what = format!(
            "{} {version}{}",
            component.name(),
            host_name.as_deref().map(|h| format!(" for {h}")).unwrap_or_default()
        );
        let located = locate(component, &version, host, request.emsdk_ref.as_deref(), how)
            .with_context(|| format!("pin {what}: nothing written"))?;
        let (sha256, size, record) =
            check::verified(&located, &name, &version, how).with_context(|| format!("pin {what}: nothing written"))?;
        let url = located.file_url.clone();
        out.push(Artifact {
            name: name.clone(),
            version: version.clone(),
            format: ArchiveFormat::from_file_name(&url),
            url,
            sha256,
            size: Some(size),
            unpacked_size: None,
            host: host_name,
            component: component.name().to_owned(),
            python: python.clone(),
            strip: Some(located.strip),
            record: Some(record),
            origin: PathBuf::new(),
        });
    }
    Ok(out)
}

/// `24` → `24.0` for the WASI SDK (its files are named by `MAJOR.0`); other versions as given.
fn normalized_version(component: Component, version: &str) -> String {
    match component {
        Component::WasiSdk => format!("{}.0", major(version)),
        _ => version.to_owned(),
    }
}

fn lines_for(request: &Request, name: &str, manifest: &Manifest) -> anyhow::Result<Vec<String>> {
    if !request.python.is_empty() {
        return Ok(request.python.clone());
    }
    if let Some(existing) = manifest.artifacts.iter().find(|a| a.name == name) {
        return Ok(existing.python.clone());
    }
    match request.component {
        Component::Cpython => Ok(vec![PythonLine::parse_version(&request.version)?.0.to_string()]),
        c if c.needs_lines() => Err(anyhow!(
            "pin {} {}: say which CPython lines it serves with --python X.Y (repeatable); an entry for every line would be chosen for lines it was never tested with",
            c.name(),
            request.version
        )),
        _ => Ok(vec![]),
    }
}

/// The file's URL and what its publisher's record says about it.
fn locate(
    component: Component,
    version: &str,
    host: Option<&publishers::Host>,
    emsdk_ref: Option<&str>,
    how: &Publishers,
) -> anyhow::Result<Located> {
    let base = |name: &str| how.bases.get(name).to_owned();
    let read = |url: &str, what: &str| check::read_record(how.client, url, what);
    let host = || host.expect("per-host components have a host");
    Ok(match component {
        Component::Cpython => {
            let file = format!("Python-{version}.tar.xz");
            let file_url = format!("{}/{version}/{file}", base("python"));
            let bundle = format!("{file_url}.sigstore");
            let sha256 = records::sigstore_digest(&read(&bundle, "python.org's Sigstore bundle")?)
                .map_err(|why| anyhow!("python.org's Sigstore bundle {bundle}: {why}"))?;
            Located {
                file_url,
                expected: Expected::Sha256 { sha256, size: None },
                record: format!("python.org {file}.sigstore (the signed digest; the signature is not checked here)"),
                strip: format!("Python-{version}"),
            }
        }
        Component::Emscripten => {
            let host = host();
            let at = emsdk_ref.unwrap_or(version);
            let tags_url = format!("{}/{at}/emscripten-releases-tags.json", base("emsdk"));
            let bzl_url = format!("{}/{at}/bazel/revisions.bzl", base("emsdk"));
            let hash =
                records::emsdk_release_hash(&read(&tags_url, "emsdk's release tags")?, version).map_err(|why| {
                    anyhow!("emsdk's {tags_url}: {why}; name an emsdk tag or commit that has it with --emsdk-ref")
                })?;
            let fields =
                records::emsdk_revision(&read(&bzl_url, "emsdk's bazel/revisions.bzl")?, version).map_err(|why| {
                    anyhow!("emsdk's {bzl_url}: {why}; name an emsdk tag or commit that has it with --emsdk-ref")
                })?;
            let field = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            if field("hash").as_deref() != Some(hash.as_str()) {
                bail!("emsdk at {at}: emscripten-releases-tags.json names release {hash} for {version} but bazel/revisions.bzl names {}; the records disagree", field("hash").unwrap_or_default());
            }
            let sha256 = field(host.emsdk_key).ok_or_else(|| {
                anyhow!(
                    "emsdk's {bzl_url}: emscripten {version} has no {} (no release for {})",
                    host.emsdk_key,
                    host.name
                )
            })?;
            Located {
                file_url: format!(
                    "{}/{}/{hash}/wasm-binaries{}.tar.xz",
                    base("emscripten-builds"),
                    host.emsdk_dir,
                    host.emsdk_suffix
                ),
                expected: Expected::Sha256 { sha256, size: None },
                record: format!(
                    "emsdk {at}: emscripten-releases-tags.json and bazel/revisions.bzl ({})",
                    host.emsdk_key
                ),
                strip: "install".into(),
            }
        }
        Component::Node => {
            let host = host();
            let stem = format!("node-v{version}-{}", host.node);
            let file = format!("{stem}.{}", host.node_ext);
            let sums_url = format!("{}/v{version}/SHASUMS256.txt", base("nodejs"));
            let sha256 = records::shasums(&read(&sums_url, "Node's SHASUMS256.txt")?, &file)
                .map_err(|why| anyhow!("Node's {sums_url}: {why}"))?;
            Located {
                file_url: format!("{}/v{version}/{file}", base("nodejs")),
                expected: Expected::Sha256 { sha256, size: None },
                record: format!("nodejs.org v{version}/SHASUMS256.txt"),
                strip: stem,
            }
        }
        Component::WasiSdk => {
            let stem = format!("wasi-sdk-{version}-{}", host().wasi_sdk);
            github(
                how,
                "WebAssembly/wasi-sdk",
                &format!("wasi-sdk-{}", major(version)),
                &format!("{stem}.tar.gz"),
                stem,
            )?
        }
        Component::Wasmtime => {
            let stem = format!("wasmtime-v{version}-{}", host().wasmtime);
            github(how, "bytecodealliance/wasmtime", &format!("v{version}"), &format!("{stem}.tar.xz"), stem)?
        }
        Component::Libffi => {
            let stem = format!("libffi-{version}");
            github(how, "libffi/libffi", &format!("v{version}"), &format!("{stem}.tar.gz"), stem)?
        }
        Component::Zlib => {
            let file = format!("zlib-{version}.tar.gz");
            page(
                how,
                &format!("{}/", base("zlib")),
                &file,
                format!("{}/fossils/{file}", base("zlib")),
                "zlib.net's home page",
            )?
        }
        Component::Bzip2 => {
            let file = format!("bzip2-{version}.tar.gz");
            let url = format!("{}/pub/bzip2/{file}", base("sourceware"));
            page(
                how,
                &format!("{}/bzip2/downloads.html", base("sourceware")),
                &file,
                url,
                "sourceware's bzip2 downloads page",
            )?
        }
        Component::Mpdecimal => {
            let file = format!("mpdecimal-{version}.tar.gz");
            let url = format!("{}/software/mpdecimal/releases/{file}", base("bytereef"));
            page(
                how,
                &format!("{}/mpdecimal/download.html", base("bytereef")),
                &file,
                url,
                "bytereef's mpdecimal download page",
            )?
        }
        Component::Sqlite => {
            let page_url = format!("{}/download.html", base("sqlite"));
            let (path, size, sha3) = records::sqlite_product(&read(&page_url, "sqlite.org's download page")?, version)
                .map_err(|why| anyhow!("sqlite.org's {page_url}: {why}"))?;
            let stem = crate::manifest::url_file_name(&path).trim_end_matches(".zip").to_owned();
            Located {
                file_url: format!("{}/{path}", base("sqlite")),
                expected: Expected::Sha3 { sha3, size: Some(size) },
                record:
                    "sqlite.org download.html (SHA3-256 and size of the zip; sha256 measured on the bytes that matched)"
                        .into(),
                strip: stem,
            }
        }
    })
}

/// A GitHub release asset and the digest the release API reports for it.
fn github(how: &Publishers, repo: &str, tag: &str, file: &str, strip: String) -> anyhow::Result<Located> {
    let api = format!("{}/repos/{repo}/releases/tags/{tag}", how.bases.get("github-api"));
    let asset = records::release_asset(&check::read_record(how.client, &api, "the GitHub release")?, file)
        .map_err(|why| anyhow!("GitHub release {repo} {tag} ({api}): {why}"))?;
    let (expected, record) = match asset.sha256 {
        Some(sha256) => (
            Expected::Sha256 { sha256, size: Some(asset.size) },
            format!("GitHub release API {repo} {tag}: asset digest"),
        ),
        None => (
            Expected::Unrecorded {
                why: format!("GitHub reports no digest for {file} in {repo} {tag} (assets uploaded before mid-2025 have none)"),
                size: Some(asset.size),
            },
            format!("no publisher record: sha256 measured by `cargo xtask pin --trust-download` (GitHub reports no digest for {repo} {tag} {file})"),
        ),
    };
    Ok(Located { file_url: asset.url, expected, record, strip })
}

/// A file whose SHA-256 a download page gives beside its name.
fn page(how: &Publishers, page_url: &str, file: &str, file_url: String, what: &str) -> anyhow::Result<Located> {
    let sha256 = records::page_sha256(&check::read_record(how.client, page_url, what)?, file)
        .map_err(|why| anyhow!("{what} {page_url}: {why}"))?;
    Ok(Located {
        file_url,
        expected: Expected::Sha256 { sha256, size: None },
        record: format!("{what} ({page_url})"),
        strip: file.trim_end_matches(".tar.gz").to_owned(),
    })
}

/// What a tree's `Platforms/*/config.toml` names that the manifest lacks on these hosts, as
/// requests (emscripten by version, Node and the WASI SDK by major: the newest release of that
/// major in Node's index, `MAJOR.0` for the WASI SDK).
pub fn missing_from_tree(
    pins: &TreePins,
    line: PythonLine,
    manifest: &Manifest,
    hosts: &[String],
    node_version: &dyn Fn(&str) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<Request>> {
    let line = line.to_string();
    let mut requests = Vec::new();
    let wanted = [
        (Component::Emscripten, pins.emscripten.as_deref(), false),
        (Component::Node, pins.node_major.as_deref(), true),
        (Component::WasiSdk, pins.wasi_sdk.as_deref(), true),
    ];
    for (component, version, by_major) in wanted {
        let Some(version) = version else { continue };
        let lacking: Vec<String> = hosts
            .iter()
            .filter(|h| {
                let matches = |a: &Artifact| match by_major {
                    true => major(&a.version) == version,
                    false => a.version == version,
                };
                manifest.last_matching(h, component.name(), matches).is_none()
            })
            .cloned()
            .collect();
        if lacking.is_empty() {
            continue;
        }
        let version = match component {
            Component::Node => node_version(version)?,
            _ => version.to_owned(),
        };
        requests.push(Request { component, version, hosts: lacking, python: vec![line.clone()], emsdk_ref: None });
    }
    Ok(requests)
}

/// The newest release of a Node major in Node's own index (`index.json`).
pub fn newest_node(how: &Publishers, node_major: &str) -> anyhow::Result<String> {
    let url = format!("{}/index.json", how.bases.get("nodejs"));
    let text = check::read_record(how.client, &url, "Node's release index")?;
    let index: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| anyhow!("Node's index {url}: {e}"))?;
    let prefix = format!("v{node_major}.");
    let newest = index
        .iter()
        .filter_map(|r| r["version"].as_str())
        .filter(|v| v.starts_with(&prefix))
        .filter_map(|v| {
            let parts: Vec<u64> = v[1..].split('.').map(str::parse).collect::<Result<_, _>>().ok()?;
            Some((parts, v[1..].to_owned()))
        })
        .max();
    newest.map(|(_, v)| v).ok_or_else(|| anyhow!("Node's index {url} lists no release of Node {node_major}"))
}

/// Makes the entries of every request, then writes them all into `file` (none if any fails).
pub fn pin_all(
    requests: &[Request],
    manifest: &Manifest,
    how: &Publishers,
    file: &Path,
) -> anyhow::Result<Vec<Artifact>> {
    let mut made = Vec::new();
    for request in requests {
        made.extend(entries(request, manifest, how)?);
    }
    if !made.is_empty() {
        write(file, &made)?;
    }
    Ok(made)
}

/// Writes the entries into `file` (a manifest or overlay; created if missing) atomically: every
/// entry replaces the one with the same (name, host) or is added.
pub fn write(file: &Path, artifacts: &[Artifact]) -> anyhow::Result<()> {
    let mut text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow!("read {}: {e}", file.display())),
    };
    for artifact in artifacts {
        let mut artifact = artifact.clone();
        artifact.origin = file.to_owned();
        text = crate::manifest::upsert(&text, &artifact)?;
    }
    crate::files::write_atomic(file, text)
}
