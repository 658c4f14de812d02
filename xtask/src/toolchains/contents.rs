//! What an installed toolchain holds: recorded when it is installed (`.contents.json` at its
//! top, written in the staging directory before the rename and the stamp) and checked again by
//! `--verify`, so that a file changed, removed or added after the install is found. What a
//! toolchain legitimately writes into itself as it runs is left out by name ([`SELF_WRITTEN`]).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Context;
use fs_err as fs;
use serde::{Deserialize, Serialize};

use crate::files::{self, sha256_file};
use crate::text::{printable, PathText};

/// The record's name at the install's top.
pub const RECORD: &str = ".contents.json";

/// The install's own bookkeeping at its top: not part of what was unpacked.
const BOOKKEEPING: [&str; 2] = [RECORD, ".installed"];

/// What toolchains write into their own tree while they run: emcc fills its cache (the sysroot's
/// libraries and ports) at `emscripten/cache`, and Python (emcc's own interpreter) writes
/// `__pycache__` beside the modules it imports. A path from the top, or a name at any depth.
pub struct SelfWritten {
    pub paths: &'static [&'static str],
    pub names: &'static [&'static str],
}

pub const SELF_WRITTEN: SelfWritten = SelfWritten { paths: &["emscripten/cache"], names: &["__pycache__"] };

impl SelfWritten {
    fn leaves_out(&self, rel: &str, name: &str) -> bool {
        self.paths.contains(&rel) || self.names.contains(&name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Entry {
    File { sha256: String, mode: u32 },
    Link { to: String },
    Dir,
}

type Contents = BTreeMap<String, Entry>;

/// Everything under `root` but the bookkeeping and what the toolchain writes itself.
fn read(root: &Path) -> anyhow::Result<Contents> {
    let mut contents = Contents::new();
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            if (prefix.is_empty() && BOOKKEEPING.contains(&name.as_str())) || SELF_WRITTEN.leaves_out(&rel, &name) {
                continue;
            }
            let meta = fs::symlink_metadata(entry.path())?;
            let item = if meta.is_dir() {
                stack.push((entry.path(), format!("{rel}/")));
                Entry::Dir
            } else if meta.file_type().is_symlink() {
                Entry::Link { to: fs::read_link(entry.path())?.plain() }
            } else if meta.is_file() {
                Entry::File { sha256: sha256_file(&entry.path())?, mode: meta.permissions().mode() & 0o777 }
            } else {
                anyhow::bail!("{} is neither a file, a directory nor a link", entry.path().shown());
            };
            contents.insert(rel, item);
        }
    }
    Ok(contents)
}

/// Records what `root` holds, as it was just unpacked.
pub fn record(root: &Path) -> anyhow::Result<()> {
    let contents = read(root)?;
    files::write_atomic(&root.join(RECORD), serde_json::to_vec(&contents)?)
}

/// What differs between `root` and its record, a line each (changed, missing, added); `None`
/// when there is no record (an install by an older version).
pub fn differences(root: &Path) -> anyhow::Result<Option<Vec<String>>> {
    let path = root.join(RECORD);
    let Some(bytes) = files::read_regular(&path, 256 << 20)? else { return Ok(None) };
    let recorded: Contents =
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a record this tool wrote", path.shown()))?;
    let now = read(root)?;
    let mut found = vec![];
    for (rel, entry) in &recorded {
        match now.get(rel) {
            None => found.push(format!("{} is missing", printable(rel))),
            Some(current) if current != entry => found.push(format!("{} changed", printable(rel))),
            Some(_) => {}
        }
    }
    found.extend(
        now.keys().filter(|rel| !recorded.contains_key(*rel)).map(|rel| format!("{} was added", printable(rel))),
    );
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_removals_and_additions_are_found_and_what_a_toolchain_writes_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::create_dir_all(root.join("emscripten/cache/sysroot")).unwrap();
        fs::create_dir_all(root.join("emscripten/tools")).unwrap();
        fs::write(root.join("bin/clang"), "clang").unwrap();
        fs::write(root.join("bin/ld"), "ld").unwrap();
        std::os::unix::fs::symlink("clang", root.join("bin/cc")).unwrap();
        fs::write(root.join(".installed"), "key\n").unwrap();
        assert_eq!(differences(root).unwrap(), None, "no record yet");
        record(root).unwrap();
        assert_eq!(differences(root).unwrap().unwrap(), Vec::<String>::new());

        fs::create_dir_all(root.join("emscripten/tools/__pycache__")).unwrap();
        fs::write(root.join("emscripten/tools/__pycache__/x.pyc"), "pyc").unwrap();
        fs::write(root.join("emscripten/cache/sysroot/libc.a"), "built by emcc").unwrap();
        assert_eq!(differences(root).unwrap().unwrap(), Vec::<String>::new(), "what the toolchain writes is left out");

        fs::write(root.join("bin/clang"), "not clang").unwrap();
        fs::remove_file(root.join("bin/ld")).unwrap();
        fs::write(root.join("bin/extra"), "planted").unwrap();
        fs::set_permissions(root.join("bin/clang"), std::fs::Permissions::from_mode(0o600)).unwrap();
        let found = differences(root).unwrap().unwrap();
        assert_eq!(found, ["bin/clang changed", "bin/ld is missing", "bin/extra was added"]);
    }
}
