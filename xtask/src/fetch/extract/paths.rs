//! Where archive entries land, checked against the tree as it physically is: every path made of
//! normal components, and every symbolic link resolved through the links already extracted.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use super::ExtractError;
use crate::text::PathText;

/// The most links one resolution may follow (as the kernel's limit, about).
const MAX_HOPS: u32 = 40;

/// A relative path made only of normal components (`.` is dropped).
pub fn checked_relative(path: &Path) -> Result<PathBuf, ExtractError> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return Err(ExtractError::unsafe_entry(path, "absolute, or with `..`")),
        }
    }
    Ok(out)
}

/// Where `target`, taken from the directory `start` (components inside `root`), physically is:
/// symbolic links already in the tree are followed. `None` when it leaves the tree, is absolute,
/// or loops.
pub fn resolve(root: &Path, start: &[OsString], target: &Path) -> Option<Vec<OsString>> {
    let mut hops = 0;
    resolve_from(root, start.to_vec(), target, &mut hops)
}

fn resolve_from(root: &Path, mut at: Vec<OsString>, target: &Path, hops: &mut u32) -> Option<Vec<OsString>> {
    for component in target.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                at.pop()?;
            }
            Component::Normal(name) => {
                at.push(name.to_owned());
                let here: PathBuf = std::iter::once(root.as_os_str().to_owned()).chain(at.iter().cloned()).collect();
                if std::fs::symlink_metadata(&here).is_ok_and(|m| m.file_type().is_symlink()) {
                    *hops += 1;
                    if *hops > MAX_HOPS {
                        return None;
                    }
                    let link = std::fs::read_link(&here).ok()?;
                    at.pop();
                    at = resolve_from(root, at, &link, hops)?;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(at)
}

/// The parent directory of an entry, as components.
pub fn parent_of(path: &Path) -> Vec<OsString> {
    path.parent().map(|p| p.iter().map(|c| c.to_owned()).collect()).unwrap_or_default()
}

/// Refuses an entry whose directory, with the links already extracted, is outside the tree.
pub fn check_parent(root: &Path, path: &Path) -> Result<(), ExtractError> {
    match resolve(root, &[], &PathBuf::from_iter(parent_of(path))) {
        Some(_) => Ok(()),
        None => Err(ExtractError::unsafe_entry(path, "its directory is a link that leads outside the destination")),
    }
}

/// Refuses a symbolic link whose target, from the link's directory, is outside the tree.
pub fn check_symlink(root: &Path, path: &Path, target: &Path) -> Result<(), ExtractError> {
    match resolve(root, &parent_of(path), target) {
        Some(_) => Ok(()),
        None => Err(ExtractError::unsafe_entry(
            path,
            &format!("a link to `{}`, outside the destination (or a loop)", target.shown()),
        )),
    }
}

/// After extraction, with the whole tree present: every link must still resolve inside it (a
/// link checked early can be redirected by a link extracted later).
pub fn check_all_links(root: &Path) -> Result<(), ExtractError> {
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let entries =
            std::fs::read_dir(root.join(&relative)).map_err(|e| ExtractError::io(&root.join(&relative), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| ExtractError::io(&root.join(&relative), e))?;
            let path = relative.join(entry.file_name());
            let kind = entry.file_type().map_err(|e| ExtractError::io(&entry.path(), e))?;
            if kind.is_symlink() {
                let target = std::fs::read_link(entry.path()).map_err(|e| ExtractError::io(&entry.path(), e))?;
                check_symlink(root, &path, &target)?;
            } else if kind.is_dir() {
                stack.push(path);
            }
        }
    }
    Ok(())
}

/// The single top-level directory `expected` (a real directory, not a link), or an error.
pub fn single_top_directory(root: &Path, expected: &str) -> Result<PathBuf, ExtractError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(root).map_err(|e| ExtractError::io(root, e))? {
        names.push(entry.map_err(|e| ExtractError::io(root, e))?.file_name().to_string_lossy().into_owned());
    }
    let top = root.join(expected);
    let is_real_dir = std::fs::symlink_metadata(&top).is_ok_and(|m| m.is_dir());
    if names != [expected] || !is_real_dir {
        let found = if names.is_empty() { "nothing".to_owned() } else { names.join(", ") };
        return Err(ExtractError::Layout { expected: expected.to_owned(), found });
    }
    Ok(top)
}
