//! The install-once protocol, shared by downloads, toolchain installs, dependency builds and
//! extracted sources:
//!
//! ```text
//! check → lock → check again → make it in a temporary place on the same file system → rename → stamp last
//! ```
//!
//! A process that finds the work done returns at once; one that waits on the lock finds it done
//! by the other process. A directory without its stamp was interrupted and is made again; the
//! temporary places of interrupted runs are removed under the lock.

use std::io;
use std::path::Path;

use anyhow::Context;
use fs_err as fs;

use crate::files::{self, remove_file_if_exists, remove_tree_if_exists};
use crate::text::PathText;

/// An exclusive lock on a lock file, held until dropped.
pub struct Lock {
    _file: std::fs::File,
}

/// Takes the lock at `path`, saying so when another process holds it.
pub fn lock(path: &Path, what: &str) -> anyhow::Result<Lock> {
    fs::create_dir_all(files::parent(path)?)?;
    let file = files::no_follow().create(true).truncate(false).write(true).open(path).with_context(|| {
        format!("open the lock file {} (if something else is at that name, remove it)", path.shown())
    })?;
    if file.try_lock().is_err() {
        eprintln!("waiting: another process holds the lock on {what} ({})", path.shown());
        file.lock().with_context(|| format!("lock {}", path.shown()))?;
    }
    Ok(Lock { _file: file })
}

/// A shared lock on `path`, waiting while a process holds it exclusively (prune holds the cache's
/// in-use lock so, while bootstraps and fetches hold it shared).
pub fn lock_shared(path: &Path, what: &str) -> anyhow::Result<Lock> {
    let file = open_lock(path)?;
    if file.try_lock_shared().is_err() {
        eprintln!("waiting: another process holds the lock on {what} ({})", path.shown());
        file.lock_shared().with_context(|| format!("lock {}", path.shown()))?;
    }
    Ok(Lock { _file: file })
}

/// The exclusive lock on `path` if no one holds it now; None if someone does.
pub fn try_lock(path: &Path) -> anyhow::Result<Option<Lock>> {
    let file = open_lock(path)?;
    Ok(file.try_lock().is_ok().then_some(Lock { _file: file }))
}

fn open_lock(path: &Path) -> anyhow::Result<std::fs::File> {
    fs::create_dir_all(files::parent(path)?)?;
    files::no_follow()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("open the lock file {} (if something else is at that name, remove it)", path.shown()))
}

/// What [`ensure`] found or made, and whether it made it.
pub struct Ensured<T> {
    pub value: T,
    pub made: bool,
}

/// check → lock → check again → make. `current` must be cheap and write nothing.
pub fn ensure<T>(
    lock_path: &Path,
    what: &str,
    current: impl Fn() -> anyhow::Result<Option<T>>,
    make: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<Ensured<T>> {
    if let Some(value) = current()? {
        return Ok(Ensured { value, made: false });
    }
    let _lock = lock(lock_path, what)?;
    if let Some(value) = current()? {
        return Ok(Ensured { value, made: false });
    }
    Ok(Ensured { value: make()?, made: true })
}

/// A directory made once: `dest` is complete when `stamp` (inside it or beside it) holds `key`.
pub struct Slot<'a> {
    pub dest: &'a Path,
    pub stamp: &'a Path,
    pub key: &'a str,
}

impl Slot<'_> {
    pub fn is_current(&self) -> bool {
        self.dest.is_dir() && std::fs::read_to_string(self.stamp).is_ok_and(|text| text.trim() == self.key)
    }

    /// Makes the directory unless it is current: `fill` creates the tree at the path it is given
    /// (inside a temporary directory beside `dest`), which is then renamed to `dest`, and the
    /// stamp is written last. Returns whether `fill` ran.
    pub fn fill(&self, what: &str, fill: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<bool> {
        let parent = files::parent(self.dest)?;
        let name = self.dest.file_name().context("an install directory has a name")?;
        let name = name.to_string_lossy().into_owned();
        let lock_path = parent.join(format!(".{name}.lock"));
        let current = || Ok(self.is_current().then_some(()));
        let ensured = ensure(&lock_path, what, current, || {
            remove_stale_temporaries(parent, &name)?;
            remove_file_if_exists(self.stamp)?;
            remove_tree_if_exists(self.dest)?;
            let temp = tempfile::Builder::new()
                .prefix(&format!(".{name}.tmp-"))
                .tempdir_in(parent)
                .with_context(|| format!("create a temporary directory in {}", parent.shown()))?;
            let staging = temp.path().join(&name);
            fill(&staging)?;
            fs::rename(&staging, self.dest)?;
            files::write_atomic(self.stamp, format!("{}\n", self.key))
        })?;
        Ok(ensured.made)
    }
}

/// Removes `.NAME.tmp-*` beside the destination: left by a run that was killed. Called under the
/// destination's lock, so no live run owns them.
fn remove_stale_temporaries(parent: &Path, name: &str) -> anyhow::Result<()> {
    let prefix = format!(".{name}.tmp-");
    let entries = match std::fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("read {}", parent.shown())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("read {}", parent.shown()))?;
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            remove_tree_if_exists(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_slot_is_filled_once_and_its_stamp_is_written_last() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("tool-1.0");
        let stamp = dest.join(".installed");
        let slot = Slot { dest: &dest, stamp: &stamp, key: "k1" };
        let filled = slot
            .fill("tool", |staging| {
                std::fs::create_dir(staging)?;
                assert!(!stamp.exists(), "the stamp is written after the tree");
                std::fs::write(staging.join("bin"), "x")?;
                Ok(())
            })
            .unwrap();
        assert!(filled && slot.is_current());
        assert!(!slot.fill("tool", |_| panic!("a current slot is not filled again")).unwrap());
        assert_eq!(names(dir.path()), [".tool-1.0.lock", "tool-1.0"]);
    }

    #[test]
    fn a_failed_fill_leaves_nothing_and_a_killed_one_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("src");
        let stamp = dir.path().join("src.extracted");
        let slot = Slot { dest: &dest, stamp: &stamp, key: "k" };
        let err = slot.fill("source", |staging| {
            std::fs::create_dir(staging)?;
            anyhow::bail!("disk full")
        });
        assert!(err.is_err());
        assert_eq!(names(dir.path()), [".src.lock"]);
        // A run killed mid-way leaves its temporary directory and a tree without a stamp.
        std::fs::create_dir_all(dir.path().join(".src.tmp-dead/src")).unwrap();
        std::fs::create_dir(&dest).unwrap();
        assert!(!slot.is_current());
        slot.fill("source", |staging| Ok(std::fs::create_dir(staging)?)).unwrap();
        assert_eq!(names(dir.path()), [".src.lock", "src", "src.extracted"]);
    }
}
