//! The tree a patch series is built from: a directory of the work dir holding a hard link to every
//! file of the source (a copy where the file system cannot link), kept in step with it. The
//! source, a release extracted once or a developer's checkout, is never written: the patch engine
//! writes through a rename, which puts a real file in place of the link, and so does this sync
//! when a file changed under an older copy. Each series has its own tree, so targets whose
//! series differ never undo each other.
//!
//! A file is current when it is the source's file (same inode), or has its size and either its
//! mtime or its bytes. A file new to the tree is linked (or copied with the source's mtime); a
//! file whose bytes changed is copied with a new mtime, so make rebuilds what used the old bytes.
//! The listing of what the last sync placed lets a file removed from the source leave the tree,
//! while what the builds write into the tree (`__pycache__`, `Modules/Setup.local`) stays.

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path};

use anyhow::Context;
use fs_err as fs;

use crate::files::{self, remove_file_if_exists};
use crate::source::not_source;

/// What one sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    pub linked: usize,
    pub copied: usize,
    pub removed: usize,
}

impl Synced {
    pub fn changed(&self) -> bool {
        self.linked + self.copied + self.removed > 0
    }
}

/// Brings `tree` in step with `source`, leaving the files in `owned` (the patch engine's) alone;
/// `listing` records what this sync placed, written last.
pub fn sync(source: &Path, tree: &Path, listing: &Path, owned: &BTreeSet<String>) -> anyhow::Result<Synced> {
    let mut synced = Synced::default();
    let mut placed = BTreeSet::new();
    fs::create_dir_all(tree)?;
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        let from_dir = source.join(&dir);
        for entry in fs::read_dir(&from_dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_str().with_context(|| {
                format!("{} has a file name that is not UTF-8; rename or remove it", entry.path().display())
            })?;
            if not_source(name, dir.is_empty()) {
                continue;
            }
            let rel = if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                make_dir(&tree.join(&rel))?;
                stack.push(rel);
                continue;
            }
            if !owned.contains(&rel) {
                place(&source.join(&rel), &tree.join(&rel), kind.is_symlink(), &mut synced)?;
            }
            placed.insert(rel);
        }
    }
    for gone in read_listing(listing).difference(&placed).filter(|rel| !owned.contains(*rel)) {
        if safe_relative(gone) && tree.join(gone).symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            fs::remove_file(tree.join(gone))?;
            synced.removed += 1;
        }
    }
    files::write_atomic(listing, serde_json::to_vec(&placed)?)?;
    Ok(synced)
}

/// A directory of the tree, replacing a file or link that stands in its place.
fn make_dir(path: &Path) -> anyhow::Result<()> {
    match path.symlink_metadata() {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => fs::remove_file(path)?,
        Err(_) => {}
    }
    fs::create_dir_all(path)?;
    Ok(())
}

/// Puts the source's file (or link) at `to`, unless what is there is current.
fn place(from: &Path, to: &Path, link: bool, synced: &mut Synced) -> anyhow::Result<()> {
    let existing = to.symlink_metadata().ok();
    if let Some(meta) = &existing {
        if meta.is_dir() {
            fs::remove_dir_all(to)?;
        } else if link {
            if meta.file_type().is_symlink() && fs::read_link(to)? == fs::read_link(from)? {
                return Ok(());
            }
        } else if current(from, to, meta)? {
            return Ok(());
        }
    }
    let staged = to.with_file_name(format!(".{}.xtask-sync", to.file_name().unwrap_or_default().to_string_lossy()));
    remove_file_if_exists(&staged)?;
    if link {
        std::os::unix::fs::symlink(fs::read_link(from)?, &staged)
            .with_context(|| format!("link {}", staged.display()))?;
        synced.linked += 1;
    } else if existing.as_ref().is_some_and(|m| !m.is_dir()) {
        // Changed bytes: a copy with a new mtime, so make sees it as newer than what it built.
        fs::copy(from, &staged)?;
        synced.copied += 1;
    } else if std::fs::hard_link(from, &staged).is_ok() {
        synced.linked += 1;
    } else {
        fs::copy(from, &staged)?;
        let mtime = fs::metadata(from)?.modified()?;
        fs::File::options().write(true).open(&staged)?.set_modified(mtime)?;
        synced.copied += 1;
    }
    fs::rename(&staged, to)?;
    Ok(())
}

fn current(from: &Path, to: &Path, to_meta: &std::fs::Metadata) -> anyhow::Result<bool> {
    let from_meta = fs::metadata(from)?;
    if !to_meta.is_file() {
        return Ok(false);
    }
    if (from_meta.dev(), from_meta.ino()) == (to_meta.dev(), to_meta.ino()) {
        return Ok(true);
    }
    if from_meta.len() != to_meta.len() {
        return Ok(false);
    }
    if from_meta.mtime() == to_meta.mtime() && from_meta.mtime_nsec() == to_meta.mtime_nsec() {
        return Ok(true);
    }
    Ok(fs::read(from)? == fs::read(to)?)
}

fn read_listing(path: &Path) -> BTreeSet<String> {
    std::fs::read(path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default()
}

/// A listing entry names a file inside the tree only: no `..`, no root.
fn safe_relative(rel: &str) -> bool {
    !rel.is_empty() && Path::new(rel).components().all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn ino(path: &Path) -> u64 {
        fs::metadata(path).unwrap().ino()
    }

    #[test]
    fn a_tree_links_the_source_and_a_second_sync_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (source, tree, listing) = (dir.path().join("src"), dir.path().join("tree"), dir.path().join("l.json"));
        write(&source, "Python/a.c", "a");
        write(&source, "Lib/os.py", "os");
        write(&source, "Lib/__pycache__/os.pyc", "bytecode");
        write(&source, ".git/HEAD", "ref");
        std::os::unix::fs::symlink("a.c", source.join("Python/b.c")).unwrap();
        let first = sync(&source, &tree, &listing, &BTreeSet::new()).unwrap();
        assert_eq!(first, Synced { linked: 3, copied: 0, removed: 0 });
        assert_eq!(ino(&tree.join("Python/a.c")), ino(&source.join("Python/a.c")));
        assert_eq!(fs::read_link(tree.join("Python/b.c")).unwrap(), Path::new("a.c"));
        assert!(!tree.join(".git").exists() && !tree.join("Lib/__pycache__").exists());
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new()).unwrap(), Synced::default());
    }

    #[test]
    fn edits_removals_and_owned_files_are_followed_and_the_source_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let (source, tree, listing) = (dir.path().join("src"), dir.path().join("tree"), dir.path().join("l.json"));
        write(&source, "a.c", "a");
        write(&source, "gone.c", "g");
        write(&source, "patched.c", "original");
        sync(&source, &tree, &listing, &BTreeSet::new()).unwrap();
        // The patch engine writes through a rename: the source keeps its bytes.
        files::write_atomic(&tree.join("patched.c"), "patched").unwrap();
        // An editor that writes a new file (a new inode) and a deletion in the checkout.
        let replaced = dir.path().join("new-a.c");
        fs::write(&replaced, "a, edited").unwrap();
        fs::rename(&replaced, source.join("a.c")).unwrap();
        fs::remove_file(source.join("gone.c")).unwrap();
        // Something a build wrote into the tree is not the sync's to remove.
        write(&tree, "Modules/Setup.local", "# built");
        let owned = BTreeSet::from(["patched.c".to_owned()]);
        let second = sync(&source, &tree, &listing, &owned).unwrap();
        assert_eq!(second, Synced { linked: 0, copied: 1, removed: 1 });
        assert_eq!(fs::read_to_string(tree.join("a.c")).unwrap(), "a, edited");
        assert_eq!(fs::read_to_string(tree.join("patched.c")).unwrap(), "patched");
        assert_eq!(fs::read_to_string(source.join("patched.c")).unwrap(), "original");
        assert!(!tree.join("gone.c").exists() && tree.join("Modules/Setup.local").exists());
        // No longer owned (the patch left the series) and different bytes: the source's again.
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new()).unwrap().copied, 1);
        assert_eq!(fs::read_to_string(tree.join("patched.c")).unwrap(), "original");
    }

    #[test]
    fn a_hostile_listing_removes_nothing_outside_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let (source, tree, listing) = (dir.path().join("src"), dir.path().join("tree"), dir.path().join("l.json"));
        write(&source, "a.c", "a");
        write(dir.path(), "victim", "keep");
        fs::write(&listing, r#"["../victim", "/etc/hostname", ""]"#).unwrap();
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new()).unwrap().removed, 0);
        assert!(dir.path().join("victim").exists());
    }
}
