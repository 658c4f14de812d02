//! The source stage: the CPython tree to build, either a pinned release tarball extracted once
//! into the work dir, or a checkout used in place.

mod checkout;
mod fingerprint;
pub mod pins;

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;

use crate::fetch::Fetcher;
pub use crate::line::PythonLine;
use crate::manifest::{Artifact, Manifest};
use crate::once::Slot;
use crate::process::Env;
use crate::text::PathText;
use crate::workdir::WorkDir;

/// The most the tool reads of a tree's own text files (patchlevel.h, Platforms/*/config.toml):
/// a tree is outside input, and one of them may be a device.
const TREE_TEXT_LIMIT: u64 = 1 << 20;
pub use checkout::{line_of, IDENTITY as CHECKOUT};
pub use fingerprint::{fingerprint, not_source};
pub use pins::{LibraryPin, TreePins};

#[derive(Debug, Clone)]
pub struct SourceTree {
    pub root: PathBuf,
    /// Where the tree came from: the extracted release or the checkout (a series' tree in the
    /// work dir keeps its source's origin).
    pub origin: PathBuf,
    pub line: PythonLine,
    /// The release tarball's sha256, or `checkout` for a checkout.
    pub identity: String,
    pub source_date_epoch: u64,
    /// The toolchain and dependency pins the tree carries (Platforms/*/config.toml), if any.
    pub pins: TreePins,
    /// The full version (`3.13.5`), from Include/patchlevel.h.
    pub version: String,
    /// A checkout's commit, if it is a git work tree.
    pub revision: Option<String>,
}

impl SourceTree {
    /// A developer's checkout (not a release this tool extracted into the work dir).
    pub fn is_checkout(&self) -> bool {
        self.identity == CHECKOUT
    }
}

/// The newest CPython line the manifest pins a release for.
pub fn newest_line(manifest: &Manifest, machine: &str) -> anyhow::Result<PythonLine> {
    manifest
        .for_machine(machine)
        .filter(|a| a.component == "cpython")
        .flat_map(|a| a.python.iter())
        .filter_map(|line| PythonLine::parse(line).ok())
        .max()
        .context("the manifest pins no `cpython` release; pass --python-source DIR or add one with --overlay")
}

/// The pinned release of a line, or an error that says which way to go: a line too old, a line
/// newer than every release pinned (one in development has none: a checkout), or a missing pin.
fn no_release_of(manifest: &Manifest, machine: &str, line: PythonLine) -> anyhow::Result<Artifact> {
    use crate::exit::{fail, Failure};
    crate::line::profile(line).map_err(|e| fail(Failure::Usage, e.to_string()))?;
    if let Some(found) = manifest.last_matching(machine, "cpython", |a| a.serves_python(&line.to_string())) {
        return Ok(found.clone());
    }
    let newest = newest_line(manifest, machine).ok();
    let message = match newest {
        Some(newest) if line > newest => format!(
            "the manifest pins no CPython {line} release (the newest it pins is {newest}); a line still in development has none: build a checkout of it with --python-source DIR, or pin a release with `cargo xtask pin cpython {line}.N`"
        ),
        _ => format!(
            "the manifest pins no CPython {line} release for {machine}; pin one with `cargo xtask pin cpython {line}.N`, or add one with --overlay FILE"
        ),
    };
    Err(fail(Failure::Input, message))
}

/// Which source the user asked for.
#[derive(Debug, Clone)]
pub enum SourceChoice {
    /// The pinned release of a line (`None`: the newest line the manifest pins), or one exact
    /// version (`3.13.5`) of those the manifest pins.
    Release(Option<PythonLine>),
    Version(PythonLine, String),
    /// A checkout, by absolute path.
    Checkout(PathBuf),
}

/// The tree to build: the release extracted into the work dir (once), or the checkout. `probe_env`
/// is the environment for the `git` query of a checkout.
pub fn resolve(
    choice: &SourceChoice,
    fetcher: &Fetcher,
    manifest: &Manifest,
    machine: &str,
    work: &WorkDir,
    probe_env: &Env,
) -> anyhow::Result<SourceTree> {
    match choice {
        SourceChoice::Checkout(dir) => checkout::open(dir, probe_env),
        _ => {
            let (artifact, line) = release_artifact(choice, manifest, machine)?.expect("not a checkout");
            release(fetcher, artifact, line, work)
        }
    }
}

/// The manifest entry of the release a choice names, and its line; `None` for a checkout.
pub fn release_artifact(
    choice: &SourceChoice,
    manifest: &Manifest,
    machine: &str,
) -> anyhow::Result<Option<(Artifact, PythonLine)>> {
    Ok(Some(match choice {
        SourceChoice::Checkout(_) => return Ok(None),
        SourceChoice::Release(line) => {
            let line = match line {
                Some(line) => *line,
                None => newest_line(manifest, machine)?,
            };
            (no_release_of(manifest, machine, line)?, line)
        }
        SourceChoice::Version(line, version) => {
            let artifact =
                manifest.last_matching(machine, "cpython", |a| &a.version == version).cloned().ok_or_else(|| {
                    let pinned = manifest.for_machine(machine).filter(|a| a.component == "cpython");
                    let known: Vec<&str> = pinned.map(|a| a.version.as_str()).collect();
                    anyhow::anyhow!(
                        "the manifest pins no CPython {version} (it pins {}); pin it with `cargo xtask pin cpython {version}`, or add one with --overlay FILE",
                        known.join(", ")
                    )
                })?;
            (artifact, *line)
        }
    }))
}

/// Extracts a pinned release into `WORK/src/` (once) and returns the tree.
fn release(fetcher: &Fetcher, artifact: Artifact, line: PythonLine, work: &WorkDir) -> anyhow::Result<SourceTree> {
    let top = artifact.strip.clone().unwrap_or_else(|| format!("Python-{}", artifact.version));
    let root = work.sources().join(&top);
    let stamp = work.sources().join(format!("{top}.extracted"));
    let slot = Slot { dest: &root, stamp: &stamp, key: &artifact.sha256 };
    let step = format!("extract {artifact}");
    let made = slot.fill(&format!("the source of {artifact}"), |staging| {
        eprintln!("source: extracting {artifact} into {}", root.shown());
        crate::events::step(crate::events::Stage::Source, &step, None, || {
            fetcher.extract_to(&artifact, Some(&top), staging)
        })
    })?;
    if !made {
        crate::events::skipped(crate::events::Stage::Source, &step, "extracted already");
    }
    let epoch = mtime_seconds(&root.join("configure"))?;
    let pins = pins::read(&root)?;
    let version = checkout::version_of(&root)?;
    let identity = artifact.sha256;
    Ok(SourceTree {
        origin: root.clone(),
        root,
        line,
        identity,
        source_date_epoch: epoch,
        pins,
        version,
        revision: None,
    })
}

fn mtime_seconds(path: &Path) -> anyhow::Result<u64> {
    let modified = fs_err::metadata(path)?.modified().with_context(|| format!("stat {}", path.shown()))?;
    Ok(modified.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}
