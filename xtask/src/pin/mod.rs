//! Pin: manifest entries from each publisher's own checksum record, never from the bytes alone
//! (docs/manifest.md). For each file the record is read, the file is downloaded once and checked
//! against it (sha256, or sqlite's SHA3-256, and the size where the record gives one), and only
//! then is the entry made. Nothing is written when any of them fails.
//!
//! - `publishers`: where each component's record and file live, per host (data);
//! - `records`: reading each kind of record;
//! - `locate`: where a component's file is and what its record says;
//! - `check`: downloading a file and checking it against its record;
//! - `tree`: `--from-tree`, what a checkout names and the manifest lacks.

mod check;
mod locate;
mod publishers;
mod records;
mod tree;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use reqwest::blocking::Client;

use crate::fetch::Fetcher;
use crate::manifest::{ArchiveFormat, Artifact, Manifest};
use crate::source::PythonLine;
use crate::text::PathText;
use crate::toolchains::major;
pub use check::Expected;
pub use publishers::{host, Bases, Component, HOSTS};
pub use tree::{missing_from_tree, newest_node};

/// One `pin` request: a component at a version, for some hosts.
#[derive(Debug, Clone)]
pub struct Request {
    pub component: Component,
    pub version: String,
    /// Manifest host names; empty for a component that is not per host.
    pub hosts: Vec<String>,
    /// CPython lines the entry serves, added to those an entry of the same name serves; with
    /// neither, the version's line (cpython) or an error (a toolchain).
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
    /// Records already read in this run, by URL (`--host all` reads each once).
    pub read: std::cell::RefCell<std::collections::BTreeMap<String, String>>,
}

impl Publishers<'_> {
    /// The text of a record, read once per run.
    pub fn record(&self, url: &str, what: &str) -> anyhow::Result<String> {
        if let Some(text) = self.read.borrow().get(url) {
            return Ok(text.clone());
        }
        let text = check::read_record(self.client, url, what)?;
        self.read.borrow_mut().insert(url.to_owned(), text.clone());
        Ok(text)
    }
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
    plain("version", &request.version)?;
    if let Some(at) = &request.emsdk_ref {
        plain("--emsdk-ref", at)?;
    }
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
        let located = locate::locate(component, &version, host, request.emsdk_ref.as_deref(), how)
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

/// A version or ref goes into URLs and file names: letters, digits, `.`, `_`, `+` and `-` only.
fn plain(what: &str, value: &str) -> anyhow::Result<()> {
    let fine = !value.is_empty()
        && value.len() <= 64
        && !value.starts_with('.')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    match fine {
        true => Ok(()),
        false => bail!(
            "pin: {what} `{}` is not a plain version or tag (letters, digits, `.`, `_`, `+`, `-`)",
            crate::text::printable(value)
        ),
    }
}

/// `24` → `24.0` for the WASI SDK (its files are named by `MAJOR.0`); other versions as given.
fn normalized_version(component: Component, version: &str) -> String {
    match component {
        Component::WasiSdk => format!("{}.0", major(version)),
        _ => version.to_owned(),
    }
}

fn lines_for(request: &Request, name: &str, manifest: &Manifest) -> anyhow::Result<Vec<String>> {
    // An entry of the same name (another host's) says which lines this name serves; the lines
    // asked for are added to those, so the hosts of one name do not drift apart.
    let existing = manifest.artifacts.iter().find(|a| a.name == name).map(|a| a.python.clone());
    let mut lines = existing.clone().unwrap_or_default();
    if existing.as_ref().is_some_and(Vec::is_empty) {
        return Ok(lines);
    }
    for line in &request.python {
        if !lines.contains(line) {
            lines.push(line.clone());
        }
    }
    if !lines.is_empty() {
        lines.sort_by_key(|l| PythonLine::parse(l).map(|p| (p.major, p.minor)).unwrap_or_default());
        return Ok(lines);
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
        write(file, &made, &how.fetcher.cache().root.join("locks"))?;
    }
    Ok(made)
}

/// Writes the entries into `file` (a manifest or overlay; created if missing) atomically: every
/// entry replaces the one with the same (name, host) or is added.
pub fn write(file: &Path, artifacts: &[Artifact], locks: &Path) -> anyhow::Result<()> {
    // Two pins writing one file must not lose each other's entries: read, change and write under
    // a lock (kept in the cache, not beside the manifest).
    let key = crate::files::sha256_reader(&mut file.plain().as_bytes())?;
    let _lock = crate::once::lock(&locks.join(format!("pin-{}.lock", &key[..16])), &file.plain())?;
    let mut text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow!("read {}: {e}", file.shown())),
    };
    for artifact in artifacts {
        let mut artifact = artifact.clone();
        artifact.origin = file.to_owned();
        text = crate::manifest::upsert(&text, &artifact)?;
    }
    crate::files::write_atomic(file, text)
}
