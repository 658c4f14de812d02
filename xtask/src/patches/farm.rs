//! The tree a patch series is built from: a directory of the work dir holding every file of the
//! source, kept in step with it: hard links to a release this tool extracted (a copy where the
//! file system cannot link), copies of a developer's checkout (reflinks where the file system
//! makes them), so that nothing done to the tree, by a build or by hand, reaches the checkout.
//! The source is never written: the patch engine writes through a rename, which puts a real
//! file in place of a link, and so does this sync when a file changed under an older copy. Each
//! series has its own tree, so targets whose series differ never undo each other.
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
use crate::text::PathText;

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

/// How a new file of the tree is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placing {
    /// A hard link (a copy across file systems): for a release this tool owns.
    Link,
    /// A copy with the source's mtime: for a checkout.
    Copy,
}

/// Brings `tree` in step with `source`, leaving the files in `owned` (the patch engine's) alone;
/// `listing` records what this sync placed, written last.
pub fn sync(
    source: &Path,
    tree: &Path,
    listing: &Path,
    owned: &BTreeSet<String>,
    placing: Placing,
) -> anyhow::Result<Synced> {
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
                format!("{} has a file name that is not UTF-8; rename or remove it", entry.path().shown())
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
            // A FIFO, socket or device in a checkout is not source (and reading a FIFO blocks).
            if !kind.is_file() && !kind.is_symlink() {
                continue;
            }
            if !owned.contains(&rel) {
                place(&source.join(&rel), &tree.join(&rel), kind.is_symlink(), placing, &mut synced)?;
            }
            placed.insert(rel);
        }
    }
    for gone in read_listing(listing)?.difference(&placed).filter(|rel| !owned.contains(*rel)) {
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
fn place(from: &Path, to: &Path, link: bool, placing: Placing, synced: &mut Synced) -> anyhow::Result<()> {
    let existing = to.symlink_metadata().ok();
    let mut changed = false;
    if let Some(meta) = &existing {
        if meta.is_dir() {
            fs::remove_dir_all(to)?;
        } else if link {
            if meta.file_type().is_symlink() && fs::read_link(to)? == fs::read_link(from)? {
                return Ok(());
            }
        } else {
            match state(from, to, meta, placing)? {
                State::Current => return Ok(()),
                State::SameBytes => {}
                State::Changed => changed = true,
            }
        }
    }
    let staged = to.with_file_name(format!(".{}.xtask-sync", to.file_name().unwrap_or_default().to_string_lossy()));
    remove_file_if_exists(&staged)?;
    if link {
        std::os::unix::fs::symlink(fs::read_link(from)?, &staged)
            .with_context(|| format!("link {}", staged.shown()))?;
        synced.linked += 1;
    } else if changed {
        // Changed bytes: a copy with a new mtime, so make sees it as newer than what it built.
        fs::copy(from, &staged)?;
        synced.copied += 1;
    } else if placing == Placing::Link && std::fs::hard_link(from, &staged).is_ok() {
        synced.linked += 1;
    } else {
        // New to the tree, or the same bytes placed the other way: the source's mtime, so make
        // rebuilds nothing for it.
        fs::copy(from, &staged)?;
        let mtime = fs::metadata(from)?.modified()?;
        fs::File::options().write(true).open(&staged)?.set_modified(mtime)?;
        synced.copied += 1;
    }
    fs::rename(&staged, to)?;
    Ok(())
}

enum State {
    /// Nothing to do.
    Current,
    /// The source's bytes, but to be placed the other way (a link where a checkout wants a copy).
    SameBytes,
    Changed,
}

/// A file is current when it is the source's file (same inode: a link, for a release), or has
/// its size and either its mtime or its bytes.
fn state(from: &Path, to: &Path, to_meta: &std::fs::Metadata, placing: Placing) -> anyhow::Result<State> {
    let from_meta = fs::metadata(from)?;
    if !to_meta.is_file() {
        return Ok(State::Changed);
    }
    if (from_meta.dev(), from_meta.ino()) == (to_meta.dev(), to_meta.ino()) {
        return Ok(if placing == Placing::Link { State::Current } else { State::SameBytes });
    }
    if from_meta.len() != to_meta.len() {
        return Ok(State::Changed);
    }
    if from_meta.mtime() == to_meta.mtime() && from_meta.mtime_nsec() == to_meta.mtime_nsec() {
        return Ok(State::Current);
    }
    Ok(if fs::read(from)? == fs::read(to)? { State::Current } else { State::Changed })
}

/// The listing of the last sync; one that does not parse lists nothing (the next sync writes
/// it again), a link or directory at its name is an error (crate::workdir::read_own_file).
fn read_listing(path: &Path) -> anyhow::Result<BTreeSet<String>> {
    let bytes = crate::workdir::read_own_file(path)?.unwrap_or_default();
    Ok(serde_json::from_slice(&bytes).unwrap_or_default())
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
        let first = sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Link).unwrap();
        assert_eq!(first, Synced { linked: 3, copied: 0, removed: 0 });
        assert_eq!(ino(&tree.join("Python/a.c")), ino(&source.join("Python/a.c")));
        assert_eq!(fs::read_link(tree.join("Python/b.c")).unwrap(), Path::new("a.c"));
        assert!(!tree.join(".git").exists() && !tree.join("Lib/__pycache__").exists());
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Link).unwrap(), Synced::default());
    }

    #[test]
    fn edits_removals_and_owned_files_are_followed_and_the_source_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let (source, tree, listing) = (dir.path().join("src"), dir.path().join("tree"), dir.path().join("l.json"));
        write(&source, "a.c", "a");
        write(&source, "gone.c", "g");
        write(&source, "patched.c", "original");
        sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Link).unwrap();
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
        let second = sync(&source, &tree, &listing, &owned, Placing::Link).unwrap();
        assert_eq!(second, Synced { linked: 0, copied: 1, removed: 1 });
        assert_eq!(fs::read_to_string(tree.join("a.c")).unwrap(), "a, edited");
        assert_eq!(fs::read_to_string(tree.join("patched.c")).unwrap(), "patched");
        assert_eq!(fs::read_to_string(source.join("patched.c")).unwrap(), "original");
        assert!(!tree.join("gone.c").exists() && tree.join("Modules/Setup.local").exists());
        // No longer owned (the patch left the series) and different bytes: the source's again.
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Link).unwrap().copied, 1);
        assert_eq!(fs::read_to_string(tree.join("patched.c")).unwrap(), "original");
    }

    #[test]
    fn a_checkout_is_copied_and_a_second_sync_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (source, tree, listing) = (dir.path().join("src"), dir.path().join("tree"), dir.path().join("l.json"));
        write(&source, "Python/a.c", "a");
        let first = sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Copy).unwrap();
        assert_eq!(first, Synced { linked: 0, copied: 1, removed: 0 });
        assert_ne!(ino(&tree.join("Python/a.c")), ino(&source.join("Python/a.c")));
        // Written in place in the tree (an editor keeping links would): the checkout is untouched.
        fs::write(tree.join("Python/a.c"), "edited in the tree").unwrap();
        assert_eq!(fs::read_to_string(source.join("Python/a.c")).unwrap(), "a");
        // ... and the next sync puts the checkout's text back.
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Copy).unwrap().copied, 1);
        assert_eq!(fs::read_to_string(tree.join("Python/a.c")).unwrap(), "a");
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Copy).unwrap(), Synced::default());
        // A tree linked to it before is made of copies, with the checkout's mtimes.
        let linked = dir.path().join("linked");
        sync(&source, &linked, &dir.path().join("l2.json"), &BTreeSet::new(), Placing::Link).unwrap();
        let again = sync(&source, &linked, &dir.path().join("l2.json"), &BTreeSet::new(), Placing::Copy).unwrap();
        assert_eq!(again.copied, 1);
        let (a, b) =
            (fs::metadata(source.join("Python/a.c")).unwrap(), fs::metadata(linked.join("Python/a.c")).unwrap());
        assert!(a.ino() != b.ino() && a.modified().unwrap() == b.modified().unwrap());
    }

    #[test]
    fn fifos_in_a_checkout_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let (source, tree, listing) = (dir.path().join("src"), dir.path().join("tree"), dir.path().join("l.json"));
        write(&source, "a.c", "a");
        let fifo = std::ffi::CString::new(source.join("pipe").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Copy).unwrap().copied, 1);
        assert!(!tree.join("pipe").exists());
    }

    #[test]
    fn a_hostile_listing_removes_nothing_outside_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let (source, tree, listing) = (dir.path().join("src"), dir.path().join("tree"), dir.path().join("l.json"));
        write(&source, "a.c", "a");
        write(dir.path(), "victim", "keep");
        fs::write(&listing, r#"["../victim", "/etc/hostname", ""]"#).unwrap();
        assert_eq!(sync(&source, &tree, &listing, &BTreeSet::new(), Placing::Link).unwrap().removed, 0);
        assert!(dir.path().join("victim").exists());
    }
}
