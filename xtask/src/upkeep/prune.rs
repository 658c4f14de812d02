//! `prune`: removes what nothing pins any more, under the same locks the runs that make and use
//! it take, so nothing a running bootstrap or fetch holds is touched.
//!
//! The cache's in-use lock (`CACHE/locks/in-use.lock`) is held shared by every bootstrap and
//! fetch for its whole run, and exclusively by prune: prune waits for none of them, it refuses
//! while one runs. Each entry is removed while its own lock is held (an entry being made is
//! skipped), and a work dir while its `.lock` is.

use std::path::{Path, PathBuf};

use crate::manifest::Manifest;
use crate::once;

use super::inventory::{self, Entry, Kind};

/// The lock every run that uses the cache holds shared.
pub fn in_use_lock(cache: &Path) -> PathBuf {
    cache.join("locks").join("in-use.lock")
}

/// Holds the cache for a run that uses it (bootstrap, fetch), shared, until dropped: prune
/// refuses while it is held. A cache dir that cannot be made or written is named, with the flag
/// that moves it.
pub fn hold_cache(cache: &Path, wanted_for: &str) -> anyhow::Result<once::Lock> {
    once::lock_shared(&in_use_lock(cache), "the cache").map_err(|error| {
        crate::exit::fail(
            crate::exit::Failure::Host,
            format!(
                "cannot use the cache dir {} for {wanted_for}: {}; point --cache-dir (or BOOTSTRAP_CACHE_DIR) at a directory you can write",
                crate::text::printable_path(cache),
                crate::text::printable(&crate::text::error_text(&error))
            ),
        )
    })
}

/// What prune did (or would do) to one thing.
#[derive(Debug)]
pub struct Removed {
    pub path: PathBuf,
    pub bytes: u64,
    pub why: &'static str,
}

/// Removes (with `dry_run`: lists) the cache entries nothing pins and the leftovers of killed
/// runs. Fails if a run holds the cache.
pub fn cache(root: &Path, manifest: &Manifest, keep: &[String], dry_run: bool) -> anyhow::Result<Vec<Removed>> {
    let Some(_held) = once::try_lock(&in_use_lock(root))? else {
        return Err(crate::exit::fail(
            crate::exit::Failure::Host,
            format!(
                "a bootstrap or fetch is using the cache {}; run prune when it has finished",
                crate::text::printable_path(root)
            ),
        ));
    };
    let mut removed = vec![];
    for entry in inventory::list(root, manifest, keep).into_iter().filter(|e| !e.pinned) {
        if let Some(done) = remove_entry(&entry, dry_run)? {
            removed.push(done);
        }
    }
    Ok(removed)
}

fn remove_entry(entry: &Entry, dry_run: bool) -> anyhow::Result<Option<Removed>> {
    let why = match entry.kind {
        Kind::Leftover => "a temporary directory of a killed run",
        Kind::Download => "a download nothing pins",
        Kind::Toolchain => "an installed toolchain nothing pins",
        Kind::LibraryBuild => "a library build of a version nothing pins",
    };
    let done = Removed { path: entry.path.clone(), bytes: entry.bytes, why };
    if dry_run {
        return Ok(Some(done));
    }
    // A download's lock lives inside it; take it and remove around it.
    let Some(_lock) = once::try_lock(&entry.lock)? else {
        eprintln!("prune: skipping {}: a run holds it", crate::text::printable_path(&entry.path));
        return Ok(None);
    };
    crate::files::remove_tree_if_exists(&entry.path)?;
    Ok(Some(done))
}

/// Removes the build trees of a work dir (everything but its lock and logs), while holding its
/// lock; refuses a directory that is not a work dir, and skips one a bootstrap holds.
pub fn work_dir(root: &Path, dry_run: bool) -> anyhow::Result<Vec<Removed>> {
    let shown = crate::text::printable_path(root);
    if !root.join("stamps").is_dir() || !root.join(".lock").is_file() {
        return Err(crate::exit::fail(
            crate::exit::Failure::Usage,
            format!("{shown} is not a work dir of this tool (no stamps/ and .lock); nothing removed"),
        ));
    }
    let Some(_lock) = once::try_lock(&root.join(".lock"))? else {
        eprintln!("prune: skipping the work dir {shown}: a bootstrap holds it");
        return Ok(vec![]);
    };
    let mut removed = vec![];
    let mut children: Vec<_> = std::fs::read_dir(root)?.flatten().collect();
    children.sort_by_key(|e| e.file_name());
    for child in children {
        let name = child.file_name();
        if name == ".lock" || name == "logs" {
            continue;
        }
        let path = child.path();
        let bytes = crate::files::tree_bytes(&path);
        if !dry_run {
            match child.file_type()?.is_dir() {
                true => crate::files::remove_tree_if_exists(&path)?,
                false => crate::files::remove_file_if_exists(&path)?,
            }
        }
        removed.push(Removed { path, bytes, why: "a build tree of a work dir" });
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_entry_and_a_held_cache_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let toolchains = root.join("toolchains");
        for name in ["old-1-aaaaaaaaaaaa", "busy-1-bbbbbbbbbbbb", ".gone-1-cccccccccccc.tmp-x1"] {
            std::fs::create_dir_all(toolchains.join(name).join("bin")).unwrap();
            std::fs::write(toolchains.join(name).join("bin/tool"), "x").unwrap();
        }
        let manifest = Manifest { artifacts: vec![] };
        let busy = once::try_lock(&toolchains.join(".busy-1-bbbbbbbbbbbb.lock")).unwrap().unwrap();
        let held = once::lock_shared(&in_use_lock(root), "the cache").unwrap();
        assert!(cache(root, &manifest, &[], false).is_err(), "a running bootstrap holds the cache");
        drop(held);
        let removed = cache(root, &manifest, &[], false).unwrap();
        let names: Vec<_> =
            removed.iter().map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, [".gone-1-cccccccccccc.tmp-x1", "old-1-aaaaaaaaaaaa"]);
        assert!(toolchains.join("busy-1-bbbbbbbbbbbb").is_dir());
        drop(busy);
    }
}
