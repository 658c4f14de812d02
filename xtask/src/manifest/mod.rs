//! The manifest: every external input, pinned by url, sha256 and size (docs/manifest.md).
//!
//! A private raw form is deserialized with unknown fields denied, then checked and turned into
//! typed [`Artifact`]s. Overlays replace or add entries by (name, machine).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

mod check;
mod format;
mod write;

pub use check::check_url;
pub use format::ArchiveFormat;
pub use write::{entries_text, upsert};

pub const SCHEMA: u32 = 1;

/// One pinned input, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub name: String,
    pub version: String,
    pub url: String,
    pub sha256: String,
    pub size: Option<u64>,
    /// The most bytes the archive may unpack to; without it, a bound of 64 times its size.
    pub unpacked_size: Option<u64>,
    pub host: Option<String>,
    /// What the artifact is (`wasi-sdk`, `cpython`, `zlib`…); defaults to the name.
    pub component: String,
    /// CPython lines (`3.13`) this artifact serves; empty means every line.
    pub python: Vec<String>,
    /// The single top-level directory of the archive, removed on extraction.
    pub strip: Option<String>,
    pub format: ArchiveFormat,
    /// Where the sha256 came from (`emsdk bazel/revisions.bzl @<commit>`), as `pin` wrote it.
    pub record: Option<String>,
    /// The manifest or overlay file that defined this entry.
    pub origin: PathBuf,
}

impl Artifact {
    /// The file name in the cache and in a mirror: the last segment of the URL's path.
    pub fn file_name(&self) -> &str {
        url_file_name(&self.url)
    }

    pub fn serves_python(&self, line: &str) -> bool {
        self.python.is_empty() || self.python.iter().any(|l| l == line)
    }

    pub fn runs_on(&self, machine: &str) -> bool {
        self.host.as_deref().is_none_or(|h| h == machine)
    }
}

/// The last segment of a URL's path (without query or fragment); empty when the URL ends in `/`.
pub fn url_file_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    match after_scheme.split_once('/') {
        Some((_, path)) => path.rsplit('/').next().unwrap_or(""),
        None => "",
    }
}

#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub artifacts: Vec<Artifact>,
}

/// A manifest error, shown as one line: `FILE:LINE: artifact `NAME`: field `F`: problem`.
#[derive(Debug)]
pub struct ManifestError {
    pub file: PathBuf,
    /// None when the file could not be read at all.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = crate::text::printable_path(&self.file);
        match self.line {
            Some(line) => write!(f, "{file}:{line}: {}", self.message),
            None => write!(f, "{file}: {}", self.message),
        }
    }
}

impl std::error::Error for ManifestError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    schema: Spanned<u32>,
    #[serde(default)]
    artifact: Vec<Spanned<RawArtifact>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawArtifact {
    pub(super) name: Spanned<String>,
    pub(super) version: Spanned<String>,
    pub(super) url: Spanned<String>,
    pub(super) sha256: Spanned<String>,
    pub(super) size: Option<Spanned<u64>>,
    pub(super) unpacked_size: Option<Spanned<u64>>,
    pub(super) host: Option<Spanned<String>>,
    pub(super) component: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) python: Vec<Spanned<String>>,
    pub(super) strip: Option<Spanned<String>>,
    pub(super) format: Option<Spanned<String>>,
    pub(super) record: Option<Spanned<String>>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
            file: path.to_owned(),
            line: None,
            message: format!("cannot read the manifest: {e}; check the path given to --manifest or --overlay"),
        })?;
        Manifest::parse(&text, path)
    }

    /// Parses and checks one manifest or overlay file.
    pub fn parse(text: &str, file: &Path) -> Result<Manifest, ManifestError> {
        let error_at = |offset: usize, message: String| ManifestError {
            file: file.to_owned(),
            line: Some(line_of(text, offset)),
            message: crate::text::printable(&message),
        };
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let problem = e.message().trim().replace('\n', " ");
            error_at(offset, format!("{}{problem}", where_in_entry(text, offset)))
        })?;
        if *raw.schema.get_ref() != SCHEMA {
            return Err(error_at(
                raw.schema.span().start,
                format!("schema {} is not supported (this xtask reads schema {SCHEMA})", raw.schema.get_ref()),
            ));
        }
        let mut artifacts = Vec::new();
        let mut seen: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
        for entry in raw.artifact {
            let start = entry.span().start;
            let artifact = check::artifact(entry.into_inner(), file).map_err(|(offset, m)| error_at(offset, m))?;
            let key = (artifact.name.clone(), artifact.host.clone());
            if let Some(first) = seen.insert(key, start) {
                return Err(error_at(
                    start,
                    format!(
                        "artifact `{}`: duplicate (name, machine) pair; the first is at line {}",
                        artifact.name,
                        line_of(text, first)
                    ),
                ));
            }
            artifacts.push(artifact);
        }
        Ok(Manifest { artifacts })
    }

    /// Applies an overlay: each of its entries replaces the entry with the same (name, machine), or is
    /// added.
    /// Returns the entries the overlay replaced with one serving fewer CPython lines, each as
    /// (name, host, what it no longer serves: `CPython 3.14, 3.15` or `every CPython line but
    /// 3.13`): an overlay meant to add a pin can otherwise take a line away without a word.
    pub fn apply_overlay(&mut self, overlay: Manifest) -> Vec<(String, String, String)> {
        let mut narrowed = vec![];
        for entry in overlay.artifacts {
            match self.artifacts.iter_mut().find(|a| a.name == entry.name && a.host == entry.host) {
                Some(existing) => {
                    let lost = match (existing.python.is_empty(), entry.python.is_empty()) {
                        (_, true) => String::new(),
                        (true, false) => format!("every CPython line but {}", entry.python.join(", ")),
                        (false, false) => {
                            let gone: Vec<&str> = existing
                                .python
                                .iter()
                                .filter(|l| !entry.python.contains(l))
                                .map(String::as_str)
                                .collect();
                            if gone.is_empty() {
                                String::new()
                            } else {
                                format!("CPython {}", gone.join(", "))
                            }
                        }
                    };
                    if !lost.is_empty() {
                        narrowed.push((entry.name.clone(), entry.host.clone().unwrap_or("any host".into()), lost));
                    }
                    *existing = entry
                }
                None => self.artifacts.push(entry),
            }
        }
        narrowed
    }

    /// Artifacts for this machine, in manifest order.
    pub fn for_machine<'a>(&'a self, machine: &'a str) -> impl Iterator<Item = &'a Artifact> + 'a {
        self.artifacts.iter().filter(move |a| a.runs_on(machine))
    }

    /// Selects artifacts by name for this machine; an unknown name is an error listing the known ones.
    pub fn select(&self, names: &[String], machine: &str) -> anyhow::Result<Vec<Artifact>> {
        if names.is_empty() {
            return Ok(self.for_machine(machine).cloned().collect());
        }
        names
            .iter()
            .map(|name| {
                self.for_machine(machine).find(|a| &a.name == name).cloned().ok_or_else(|| {
                    let known: Vec<&str> = self.for_machine(machine).map(|a| a.name.as_str()).collect();
                    crate::exit::fail(
                        crate::exit::Failure::Input,
                        format!(
                            "no artifact `{name}` for machine {machine} in the manifest; known: {}",
                            known.join(", ")
                        ),
                    )
                })
            })
            .collect()
    }

    /// The last entry of `component` for this machine that `wanted` accepts (later entries, and
    /// overlays, win).
    pub fn last_matching<'a>(
        &'a self,
        machine: &'a str,
        component: &str,
        wanted: impl Fn(&Artifact) -> bool,
    ) -> Option<&'a Artifact> {
        self.for_machine(machine).filter(|a| a.component == component && wanted(a)).last()
    }

    /// The artifact of a component (`wasi-sdk`) that serves a CPython line on this machine.
    pub fn component(&self, component: &str, python: &str, machine: &str) -> anyhow::Result<Artifact> {
        self.last_matching(machine, component, |a| a.serves_python(python)).cloned().ok_or_else(|| {
            crate::exit::fail(crate::exit::Failure::Input, format!(
                "the manifest pins no `{component}` for CPython {python} on {machine}; pin one from its publisher's record with `cargo xtask pin {component} VERSION --host {machine} --python {python}`, or give your own with --{component} PATH where bootstrap takes one"
            ))
        })
    }
}

impl Manifest {
    /// The artifact of a component that does not depend on the CPython line (zlib, bzip2).
    pub fn any_component(&self, component: &str, machine: &str) -> anyhow::Result<Artifact> {
        self.last_matching(machine, component, |_| true).cloned().ok_or_else(|| {
            crate::exit::fail(
                crate::exit::Failure::Input,
                format!("the manifest pins no `{component}` for {machine}; add one with --overlay FILE"),
            )
        })
    }
}

/// "artifact `NAME`: field `F`: " for an error at `offset` inside an `[[artifact]]` entry, read
/// off the text (the entry did not deserialize, so its fields are not at hand).
fn where_in_entry(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let Some(start) = before.rfind("[[artifact]]") else {
        return String::new();
    };
    let entry_end = text[start + 1..].find("[[").map_or(text.len(), |i| start + 1 + i);
    let entry = &text[start..entry_end];
    let name = entry.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        (key.trim() == "name").then(|| value.trim().trim_matches('"').to_owned())
    });
    let line = before.rsplit('\n').next().unwrap_or("");
    let field = line.split_once('=').map(|(key, _)| key.trim()).filter(|k| !k.is_empty() && !k.contains('['));
    let mut out = String::new();
    if let Some(name) = name {
        out += &format!("artifact `{name}`: ");
    }
    if let Some(field) = field {
        out += &format!("field `{field}`: ");
    }
    out
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl fmt::Display for Artifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests;
