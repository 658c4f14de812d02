//! The download cache: content-addressed by sha256, one directory per file.
//!
//! ```text
//! CACHE/downloads/<sha256>/<file>          the verified file
//! CACHE/downloads/<sha256>/<file>.partial  an unfinished download (kept on a network error)
//! CACHE/downloads/<sha256>/stamp.json      written last, after verification
//! CACHE/downloads/<sha256>/.lock           held while one process fetches the file
//! ```
//!
//! A cache hit is trusted when the stamp's size and mtime still match the file; otherwise, or with
//! `--verify`, the file is hashed again.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use fs_err as fs;
use serde::{Deserialize, Serialize};

use crate::files::{self, remove_file_if_exists, sha256_file};
use crate::manifest::Artifact;
use crate::text::PathText;

#[derive(Debug, Clone)]
pub struct Cache {
    pub root: PathBuf,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Stamp {
    sha256: String,
    size: u64,
    mtime_ns: u128,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    pub fn entry_dir(&self, artifact: &Artifact) -> PathBuf {
        self.root.join("downloads").join(&artifact.sha256)
    }

    pub fn file_path(&self, artifact: &Artifact) -> PathBuf {
        self.entry_dir(artifact).join(artifact.file_name())
    }

    pub fn partial_path(&self, artifact: &Artifact) -> PathBuf {
        self.entry_dir(artifact).join(format!("{}.partial", artifact.file_name()))
    }

    fn stamp_path(&self, artifact: &Artifact) -> PathBuf {
        self.entry_dir(artifact).join("stamp.json")
    }

    /// The lock held while one process fetches the entry.
    pub fn lock_path(&self, artifact: &Artifact) -> PathBuf {
        self.entry_dir(artifact).join(".lock")
    }

    /// The directories the artifact's entry lives in are directories (or absent): anything else
    /// there is one line naming the artifact and the path.
    pub fn check_entry(&self, artifact: &Artifact) -> anyhow::Result<()> {
        let dirs = [self.root.clone(), self.root.join("downloads"), self.entry_dir(artifact)];
        check_dirs(artifact, &dirs)
    }
}

/// Each of `dirs` that exists is a directory (or a link to one); else one line naming the
/// artifact the cache holds it for.
pub fn check_dirs(artifact: &Artifact, dirs: &[PathBuf]) -> anyhow::Result<()> {
    for dir in dirs {
        let Ok(meta) = dir.symlink_metadata() else { continue };
        if !(meta.is_dir() || meta.file_type().is_symlink() && dir.is_dir()) {
            return Err(crate::exit::fail(
                crate::exit::Failure::Host,
                format!(
                    "{artifact}: {} in the cache is a file, not a directory; remove it (or point --cache-dir elsewhere) and run again",
                    dir.shown()
                ),
            ));
        }
    }
    Ok(())
}

impl Cache {
    /// The verified file, if the cache holds it. With `full`, the file is hashed again; a file that
    /// fails the check is removed so that it is fetched again.
    pub fn lookup(&self, artifact: &Artifact, full: bool) -> anyhow::Result<Option<PathBuf>> {
        let path = self.file_path(artifact);
        let Ok(meta) = std::fs::metadata(&path) else {
            return Ok(None);
        };
        let stamp: Option<Stamp> =
            std::fs::read(self.stamp_path(artifact)).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let cheap_match = stamp.as_ref().is_some_and(|s| {
            s.sha256 == artifact.sha256 && s.size == meta.len() && Some(s.mtime_ns) == mtime_ns(&path)
        });
        if cheap_match && !full {
            return Ok(Some(path));
        }
        let size_ok = artifact.size.is_none_or(|size| size == meta.len());
        if size_ok && sha256_file(&path)? == artifact.sha256 {
            self.write_stamp(artifact)?;
            return Ok(Some(path));
        }
        eprintln!("fetch: {artifact}: the cached copy at {} is corrupt; fetching it again", path.shown());
        self.remove(artifact)?;
        Ok(None)
    }

    /// Moves a verified partial file into place, then writes the stamp (last).
    pub fn commit(&self, artifact: &Artifact, verified: &Path) -> anyhow::Result<PathBuf> {
        let path = self.file_path(artifact);
        fs::rename(verified, &path)?;
        self.write_stamp(artifact)?;
        Ok(path)
    }

    pub fn remove(&self, artifact: &Artifact) -> anyhow::Result<()> {
        for path in [self.stamp_path(artifact), self.file_path(artifact), self.partial_path(artifact)] {
            remove_file_if_exists(&path)?;
        }
        Ok(())
    }

    fn write_stamp(&self, artifact: &Artifact) -> anyhow::Result<()> {
        let path = self.file_path(artifact);
        let stamp = Stamp {
            sha256: artifact.sha256.clone(),
            size: fs::metadata(&path)?.len(),
            mtime_ns: mtime_ns(&path).unwrap_or(0),
        };
        files::write_atomic(&self.stamp_path(artifact), serde_json::to_vec(&stamp)?)
    }
}

fn mtime_ns(path: &Path) -> Option<u128> {
    std::fs::metadata(path).ok()?.modified().ok()?.duration_since(UNIX_EPOCH).ok().map(|d| d.as_nanos())
}
