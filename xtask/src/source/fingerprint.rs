//! A cheap fingerprint of a source tree, for the make steps' keys.

use std::path::Path;
use std::time::UNIX_EPOCH;

use anyhow::Context;
use fs_err as fs;
use sha2::{Digest, Sha256};

use crate::files::hex;
use crate::text::PathText;

/// Directories that are not source: version control, bytecode, and the build directories a
/// checkout may hold at its top (CPython's own `cross-build/`, `builddir/`, `build/`).
pub fn not_source(name: &str, top_level: bool) -> bool {
    name == ".git"
        || name == "__pycache__"
        || (top_level && ["cross-build", "builddir", "build", "target"].contains(&name))
}

/// A cheap fingerprint of a source tree: every file's path, size and mtime. Build outputs,
/// `.git` and `__pycache__` are left out so that running the interpreter does not change it.
pub fn fingerprint(root: &Path) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> =
            fs::read_dir(&dir).with_context(|| format!("read {}", dir.shown()))?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if not_source(&name, dir == root) {
                continue;
            }
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let mtime =
                meta.modified().ok().and_then(|m| m.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
            hasher.update(format!("{}\0{}\0{mtime}\n", entry.path().plain(), meta.len()));
        }
    }
    Ok(hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_pycache_but_sees_edits() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("Lib/__pycache__")).unwrap();
        fs::write(dir.path().join("Lib/os.py"), "x").unwrap();
        let before = fingerprint(dir.path()).unwrap();
        fs::write(dir.path().join("Lib/__pycache__/os.pyc"), "y").unwrap();
        assert_eq!(fingerprint(dir.path()).unwrap(), before);
        fs::write(dir.path().join("Lib/os.py"), "xx").unwrap();
        assert_ne!(fingerprint(dir.path()).unwrap(), before);
    }
}
