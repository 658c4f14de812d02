//! Patch series per CPython line (`patches/X.Y/series.toml`), applied in process to the work
//! dir's tree of the series (farm.rs), never to the source itself.
//!
//! Before anything is written, every hunk of a patch must apply; a wrong base is one line naming
//! the patch, the file and the hunk. A patch whose reverse applies is already in the tree: applied
//! by us (the stamp says so) or absorbed upstream. The stamp keeps a copy of each applied patch,
//! so a patch that leaves the series is reverted even after the series file changed.

pub mod diff;
mod farm;
mod refresh;
mod tree;
mod tree_files;
pub mod unified;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::files::{self, hex};
use crate::source::SourceTree;
use crate::text::{printable, printable_path};
use diff::Diff;
pub use farm::Synced;
pub use tree::{prepare, sync_tree, undo_in_place};
use tree_files::{plan, read_tree_file, write_all, Planned, FILE_LIMIT};

/// One patch of a series, read and parsed.
#[derive(Debug, Clone)]
pub struct Patch {
    pub name: String,
    pub path: PathBuf,
    pub text: String,
    pub diff: Diff,
    pub sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeries {
    #[serde(default)]
    patch: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    file: String,
    /// `wasi`, `emscripten`; absent means every target.
    #[serde(default)]
    targets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    NotApplied,
    Applied,
    AlreadyUpstream,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::NotApplied => "not applied",
            State::Applied => "applied",
            State::AlreadyUpstream => "already applied upstream",
        }
    }
}

/// The series of `line` for the targets named `target` (`wasi`, `emscripten`), from
/// `PATCHES/<line>/series.toml`; a line without a series has no patches.
pub fn load_series(patches_dir: &Path, line: &str, target: &str) -> anyhow::Result<Vec<Patch>> {
    let dir = patches_dir.join(line);
    let series_path = dir.join("series.toml");
    if !series_path.exists() {
        return Ok(Vec::new());
    }
    let text = read_text(&series_path)?;
    let raw: RawSeries = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", printable_path(&series_path), printable(e.message())))?;
    let inside = patches_dir.canonicalize().with_context(|| format!("read {}", printable_path(patches_dir)))?;
    raw.patch
        .into_iter()
        .filter(|entry| entry.targets.is_empty() || entry.targets.iter().any(|t| t == target))
        .map(|entry| read_patch(&within(&inside, &series_path, &dir.join(&entry.file))?))
        .collect()
}

/// A series entry's file, which must be inside the patches dir once links are followed: a
/// series may share a patch with another line's (`../3.13/x.patch`), never name one elsewhere,
/// since `--refresh` rewrites what the series names.
fn within(inside: &Path, series: &Path, path: &Path) -> anyhow::Result<PathBuf> {
    let real =
        path.canonicalize().with_context(|| format!("{} names {}", printable_path(series), printable_path(path)))?;
    if !real.starts_with(inside) {
        bail!(
            "{} names {}, which is outside the patches dir {}: a series names only patches inside it",
            printable_path(series),
            printable_path(path),
            printable_path(inside)
        );
    }
    Ok(real)
}

/// A text file of the patches dir: regular, UTF-8, at most FILE_LIMIT bytes.
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes =
        files::read_regular(path, FILE_LIMIT)?.with_context(|| format!("{} is missing", printable_path(path)))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", printable_path(path)))
}

pub fn read_patch(path: &Path) -> anyhow::Result<Patch> {
    let text = read_text(path).with_context(|| format!("read the patch {}", printable_path(path)))?;
    let diff = Diff::parse(&text).with_context(|| format!("parse the patch {}", printable_path(path)))?;
    Ok(Patch {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        path: path.to_owned(),
        sha256: hex(&Sha256::digest(text.as_bytes())),
        text,
        diff,
    })
}

/// The stamp: which patches (with a copy of each) were applied to which source, and each touched
/// file as it was before the first of them (`None`: it did not exist), for `--refresh`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stamp {
    source: String,
    applied: Vec<Applied>,
    #[serde(default)]
    originals: BTreeMap<String, Option<String>>,
}

impl Stamp {
    /// Keeps the pristine text of every file `diff` touches that no earlier patch touched.
    fn remember_originals(&mut self, root: &Path, diff: &Diff) {
        for file in &diff.files {
            if !self.originals.contains_key(&file.path) {
                let text = read_tree_file(root, &file.path).ok().flatten();
                self.originals.insert(file.path.clone(), text);
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Applied {
    name: String,
    sha256: String,
    text: String,
}

/// A source tree as the patch engine sees it: its root, its identity, and the stamp recording
/// what this tool applied to it.
pub struct PatchableTree<'a> {
    pub root: &'a Path,
    /// The source's identity (release sha256, or `checkout`).
    pub source: &'a str,
    pub stamp: PathBuf,
    /// The CPython line, for the "this series is for" hint.
    pub line: String,
}

impl PatchableTree<'_> {
    pub fn new(source: &SourceTree, stamp: PathBuf) -> PatchableTree<'_> {
        PatchableTree { root: &source.root, source: &source.identity, stamp, line: source.line.to_string() }
    }

    /// The stamp, empty when there is none or it describes another source. Anything else at its
    /// name (a link, a directory, text that is not a stamp) is an error: what was applied is then
    /// unknown, and guessing could leave patches in the tree that nothing records.
    fn read_stamp(&self) -> anyhow::Result<Stamp> {
        let bytes = crate::workdir::read_own_file(&self.stamp)?;
        let Some(bytes) = bytes else { return Ok(Stamp::default()) };
        let stamp: Stamp = serde_json::from_slice(&bytes).map_err(|_| {
            anyhow::anyhow!(
                "the patch stamp {} is not a stamp this tool wrote, so what {} holds is unknown: remove both and run again (the tree is made afresh from the source)",
                printable_path(&self.stamp),
                printable_path(self.root)
            )
        })?;
        Ok(if stamp.source == self.source { stamp } else { Stamp::default() })
    }

    fn write_stamp(&self, stamp: &Stamp) -> anyhow::Result<()> {
        files::write_atomic(&self.stamp, serde_json::to_vec_pretty(stamp)?).with_context(|| {
            format!("write the patch stamp {} (nothing of this patch is in the tree)", printable_path(&self.stamp))
        })
    }

    fn wrong_base(&self, patch: &str, file: &str, failure: &diff::HunkFailure) -> anyhow::Error {
        anyhow::anyhow!(
            "patch {} does not apply to {}: {}: hunk #{} `{}` does not match; this series is for CPython {}, check the source or refresh the patch",
            printable(patch),
            printable_path(self.root),
            printable(file),
            failure.index,
            printable(&failure.header),
            self.line
        )
    }

    /// The state of one patch in this tree.
    pub fn state(&self, patch: &Patch) -> anyhow::Result<State> {
        Ok(self.assess(patch, &self.read_stamp()?)?.0)
    }

    /// The state of a patch, and what applying it would write when it is not applied yet.
    fn assess(&self, patch: &Patch, stamp: &Stamp) -> anyhow::Result<(State, Option<Planned>)> {
        let ours = stamp.applied.iter().any(|a| a.sha256 == patch.sha256);
        let forward = plan(self.root, &patch.diff)?;
        let reverse = plan(self.root, &patch.diff.reversed())?;
        match (forward, reverse) {
            (_, Ok(_)) if ours => Ok((State::Applied, None)),
            (Ok(planned), _) => Ok((State::NotApplied, Some(planned))),
            (Err(_), Ok(_)) => Ok((State::AlreadyUpstream, None)),
            (Err((file, failure)), Err(_)) => Err(self.wrong_base(&patch.name, &file, &failure)),
        }
    }

    /// Undoes one patch this tool applied, from the copy kept in the stamp, and records that.
    fn revert(&self, old: &Applied, stamp: &mut Stamp) -> anyhow::Result<()> {
        let diff = Diff::parse(&old.text)?;
        let planned = plan(self.root, &diff.reversed())?.map_err(|(f, h)| self.wrong_base(&old.name, &f, &h))?;
        // The stamp may only say less than the tree holds once the tree holds less: a revert
        // that stops halfway leaves the patch recorded (and whole, see write_all).
        write_all(planned)?;
        stamp.applied.retain(|a| a.sha256 != old.sha256);
        if stamp.applied.is_empty() {
            stamp.originals.clear();
        }
        self.write_stamp(stamp)
    }

    /// Brings the tree to exactly `series`: reverts stamped patches that left the series, then
    /// applies what is missing. Returns a line per patch.
    pub fn apply_series(&self, series: &[Patch]) -> anyhow::Result<Vec<String>> {
        let mut report = Vec::new();
        let mut stamp = self.read_stamp()?;
        stamp.source = self.source.to_owned();
        let wanted: Vec<&str> = series.iter().map(|p| p.sha256.as_str()).collect();
        for old in stamp.applied.clone().iter().rev().filter(|a| !wanted.contains(&a.sha256.as_str())) {
            self.revert(old, &mut stamp)?;
            report.push(format!("{}: reverted (no longer in the series)", printable(&old.name)));
        }
        for patch in series {
            let (state, planned) = self.assess(patch, &stamp)?;
            if let Some(planned) = planned {
                // The record goes first: a change to the tree never exists without it. If the
                // write then fails, the tree is put back (write_all) and the record with it.
                let before = (stamp.applied.clone(), stamp.originals.clone());
                stamp.remember_originals(self.root, &patch.diff);
                stamp.applied.retain(|a| a.sha256 != patch.sha256);
                stamp.applied.push(Applied {
                    name: patch.name.clone(),
                    sha256: patch.sha256.clone(),
                    text: patch.text.clone(),
                });
                self.write_stamp(&stamp)?;
                if let Err(error) = write_all(planned) {
                    (stamp.applied, stamp.originals) = before;
                    let _ = self.write_stamp(&stamp);
                    return Err(error);
                }
                report.push(format!("{}: applied", printable(&patch.name)));
            } else {
                report.push(format!("{}: {}, skipped", printable(&patch.name), state.label()));
            }
        }
        self.write_stamp(&stamp)?;
        Ok(report)
    }

    /// Reverts every patch this tool applied, newest first.
    pub fn revert_all(&self) -> anyhow::Result<Vec<String>> {
        let mut stamp = self.read_stamp()?;
        let mut report = Vec::new();
        while let Some(old) = stamp.applied.last().cloned() {
            self.revert(&old, &mut stamp)?;
            report.push(format!("{}: reverted", printable(&old.name)));
        }
        if report.is_empty() {
            bail!("no patches applied by this tool in {}", printable_path(self.root));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
