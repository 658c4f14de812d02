//! Facts of the emscripten build that depend on the tree itself, not on its line (a checkout of
//! main may be ahead of or behind any release), found by looking at the tree. Line facts are
//! rows of line.rs.

use std::path::Path;

/// CPython's node entry (3.14 on): `Platforms/emscripten/node_entry.mjs` and the `streams.mjs` it
/// imports, copied next to the module after make, as CPython's own build script does.
pub const ENTRY_DIR: &str = "Platforms/emscripten";
const ENTRY_FILES: [&str; 2] = ["node_entry.mjs", "streams.mjs"];

/// The node entry files the tree has (`node_entry.mjs` first), or none: then the module is a
/// program by itself (3.13's `python.js` under NODERAWFS).
pub fn node_entry(tree: &Path) -> Vec<&'static str> {
    if !tree.join(ENTRY_DIR).join(ENTRY_FILES[0]).is_file() {
        return vec![];
    }
    ENTRY_FILES.into_iter().filter(|name| tree.join(ENTRY_DIR).join(name).is_file()).collect()
}

/// Whether the tree's configure still takes `--with-emscripten-target` (3.14 dropped it: one
/// build serves node and the browser, and configure warns about the option as unknown).
pub fn has_flavour_option(tree: &Path) -> anyhow::Result<bool> {
    const OPTION: &[u8] = b"with-emscripten-target";
    let text = fs_err::read(tree.join("configure"))?;
    Ok(text.windows(OPTION.len()).any(|w| w == OPTION))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probes_read_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("configure"), "ac_user_opts='\nwith_emscripten_target\n'").unwrap();
        assert!(!has_flavour_option(dir.path()).unwrap());
        fs_err::write(dir.path().join("configure"), "  --with-emscripten-target=[browser|node]").unwrap();
        assert!(has_flavour_option(dir.path()).unwrap());
        assert!(node_entry(dir.path()).is_empty());
        fs_err::create_dir_all(dir.path().join(ENTRY_DIR)).unwrap();
        fs_err::write(dir.path().join(ENTRY_DIR).join("node_entry.mjs"), "").unwrap();
        assert_eq!(node_entry(dir.path()), ["node_entry.mjs"]);
    }
}
