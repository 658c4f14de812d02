//! What the cache holds, entry by entry, and whether the manifest (with its overlays) still pins
//! it. The layout is the one the fetch layer, the toolchain installs and the library builds write:
//!
//! ```text
//! CACHE/downloads/<sha256>/                    pinned if an entry has that sha256
//! CACHE/toolchains/<name>-<version>-<sha12>/   pinned if an entry has that name, version, sha256
//! CACHE/deps/<triple>/<component>-<version>-<key16>/   pinned if an entry has that component
//!                                              and version (the key also covers the toolchain)
//! .<dir>.tmp-*                                 beside any of them: left by a killed run
//! ```

use std::path::{Path, PathBuf};

use crate::manifest::Manifest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Download,
    Toolchain,
    LibraryBuild,
    /// A temporary directory of an install or build that was killed.
    Leftover,
}

#[derive(Debug)]
pub struct Entry {
    pub kind: Kind,
    pub path: PathBuf,
    pub bytes: u64,
    pub pinned: bool,
    /// The lock a run holds while it makes this entry.
    pub lock: PathBuf,
    /// Partial downloads inside it (kept for resuming).
    pub partials: u64,
}

/// Every entry of the cache at `root`; `keep` are names (or their starts) counted as pinned.
pub fn list(root: &Path, manifest: &Manifest, keep: &[String]) -> Vec<Entry> {
    let mut entries = vec![];
    let kept = |name: &str| keep.iter().any(|k| name.starts_with(k.as_str()));
    for (path, name) in dirs_in(&root.join("downloads")) {
        let files = file_names(&path);
        let shown = files.iter().find(|f| !f.starts_with('.') && *f != "stamp.json").cloned().unwrap_or(name.clone());
        let partials = files.iter().filter(|f| f.ends_with(".partial")).count() as u64;
        let pinned = manifest.artifacts.iter().any(|a| a.sha256 == name) || kept(&shown);
        let (lock, bytes) = (path.join(".lock"), crate::files::tree_bytes(&path));
        entries.push(Entry { kind: Kind::Download, path, bytes, pinned, lock, partials });
    }
    let toolchains = root.join("toolchains");
    entries.extend(made_dirs(&toolchains, Kind::Toolchain, |name| {
        kept(name)
            || manifest
                .artifacts
                .iter()
                .any(|a| a.sha256.len() >= 12 && name == format!("{}-{}-{}", a.name, a.version, &a.sha256[..12]))
    }));
    for (triple, _) in dirs_in(&root.join("deps")) {
        entries.extend(made_dirs(&triple, Kind::LibraryBuild, |name| {
            kept(name)
                || manifest.artifacts.iter().any(|a| name.starts_with(&format!("{}-{}-", a.component, a.version)))
        }));
    }
    entries
}

/// The directories `once::Slot` makes in `parent` (`NAME` with `.NAME.lock` beside it), and the
/// temporary directories of killed runs (`.NAME.tmp-*`).
fn made_dirs(parent: &Path, kind: Kind, pinned: impl Fn(&str) -> bool) -> Vec<Entry> {
    dirs_in(parent)
        .into_iter()
        .map(|(path, name)| {
            let bytes = crate::files::tree_bytes(&path);
            match name.strip_prefix('.').and_then(|rest| rest.split_once(".tmp-")) {
                Some((owner, _)) => Entry {
                    kind: Kind::Leftover,
                    lock: parent.join(format!(".{owner}.lock")),
                    path,
                    bytes,
                    pinned: false,
                    partials: 0,
                },
                None => Entry {
                    kind,
                    lock: parent.join(format!(".{name}.lock")),
                    pinned: pinned(&name),
                    path,
                    bytes,
                    partials: 0,
                },
            }
        })
        .collect()
}

/// The directories in `dir` (not links), with their names; none if it does not exist.
fn dirs_in(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut found: Vec<(PathBuf, String)> = read
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| (e.path(), e.file_name().to_string_lossy().into_owned()))
        .collect();
    found.sort();
    found
}

fn file_names(dir: &Path) -> Vec<String> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return vec![];
    };
    read.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()
}
