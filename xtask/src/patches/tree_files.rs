//! The tree's files as the patch engine reads and writes them: every directory on the way to a
//! patched file a real directory of the tree, special files refused unopened, reads bounded, and
//! a patch written whole or not at all.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use fs_err as fs;

use super::diff::{self, Diff};
use crate::files;
use crate::text::{printable, printable_path};

/// The new content of each file the diff touches; `None` means the file is removed.
pub(super) type Planned = Vec<(PathBuf, Option<String>)>;

/// A file and the hunk of it that did not apply.
pub(super) type Mismatch = (String, diff::HunkFailure);

/// The largest file the patch engine reads or writes (CPython's largest source is a few MB).
pub(super) const FILE_LIMIT: u64 = 64 << 20;

/// The text of the tree's file `rel`, `None` if it is not there. Every directory on the way
/// must be a real directory (a link there could take the write outside the tree); the file
/// itself may be a link to a regular file (it is read, and a write replaces the link).
pub(super) fn read_tree_file(root: &Path, rel: &str) -> anyhow::Result<Option<String>> {
    if rel.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        bail!("`{}` is not a path inside the tree", printable(rel));
    }
    let mut dir = root.to_owned();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        dir.push(part);
        match dir.symlink_metadata() {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => bail!(
                "{}: {} is a link or a file, not a directory of the tree; the patch engine does not write through it (remove it, or delete the tree to have it made again)",
                printable_path(root),
                printable_path(&dir)
            ),
            Err(_) => return Ok(None),
        }
    }
    let path = root.join(rel);
    let bytes = files::read_regular(&path, FILE_LIMIT).with_context(|| format!("patch {}", printable(rel)))?;
    bytes
        .map(|b| String::from_utf8(b).with_context(|| format!("{} is not UTF-8 text", printable_path(&path))))
        .transpose()
}

/// Everything a diff would write, or the first hunk that does not apply; writes nothing. A
/// tree the engine must not write into (a directory link, a special file) is an error.
pub(super) fn plan(tree: &Path, diff: &Diff) -> anyhow::Result<Result<Planned, Mismatch>> {
    let mut out = Vec::new();
    for file in &diff.files {
        let mismatch =
            |header: &str| Ok(Err((file.path.clone(), diff::HunkFailure { index: 0, header: header.into() })));
        let content = match (read_tree_file(tree, &file.path)?, file.creates) {
            (Some(text), false) => text,
            (None, true) => String::new(),
            (None, false) => return mismatch("the file is missing"),
            (Some(_), true) => return mismatch("the file to create already exists"),
        };
        let new = match diff::apply(&content, &file.hunks) {
            Ok(new) => new,
            Err(failure) => return Ok(Err((file.path.clone(), failure))),
        };
        if file.deletes && !new.is_empty() {
            return mismatch("the file to delete has other content");
        }
        out.push((tree.join(&file.path), (!file.deletes).then_some(new)));
    }
    Ok(Ok(out))
}

/// Writes what was planned; if a write fails, what was already written is put back, so the
/// tree holds the whole patch or none of it.
pub(super) fn write_all(planned: Planned) -> anyhow::Result<()> {
    let before =
        planned.iter().map(|(path, _)| files::read_regular(path, FILE_LIMIT)).collect::<anyhow::Result<Vec<_>>>()?;
    for (done, (path, text)) in planned.iter().enumerate() {
        let written = match text {
            Some(text) => files::write_atomic(path, text),
            None => fs::remove_file(path).map_err(Into::into),
        };
        if let Err(error) = written {
            for ((path, _), before) in planned[..done].iter().zip(&before).rev() {
                let _ = match before {
                    Some(bytes) => files::write_atomic(path, bytes),
                    None => files::remove_file_if_exists(path),
                };
            }
            return Err(error);
        }
    }
    Ok(())
}
