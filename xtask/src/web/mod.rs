//! The web bundle of the browser target: the module and its wasm, the REPL page and its worker,
//! the stdlib as a deterministic zip of `.pyc`, the extension modules, and `bundle.json`, which
//! tells the worker (and `bundle-run.mjs` under Node) where each goes in the interpreter's file
//! system. Assembled beside the bundle and swapped in whole, so a reader sees the old bundle or
//! the new one.

pub mod stdlib;
pub mod zip;

use std::path::{Path, PathBuf};

use anyhow::Context;
use fs_err as fs;

use crate::bundle::{Bundle, ModuleKind};
use crate::files::{remove_tree_if_exists, write_atomic};
use crate::source::PythonLine;
use crate::text::PathText;

pub const PAGE: &str = include_str!("page/index.html");
pub const WORKER: &str = include_str!("page/python.worker.js");
/// The Node runner of a bundle, written next to it (not into it: the page does not need it).
pub const NODE_RUNNER: &str = include_str!("bundle-run.mjs");
/// How every JS host loads and drives the interpreter (the worker, the Node runner, the
/// interrupt test): written into the bundle and next to the Node hosts.
pub const EMBED: &str = include_str!("embed.js");
pub const EMBED_FILE: &str = "embed.js";

/// The files of ours every bundle carries, as written.
pub const PAGE_FILES: [(&str, &str); 3] = [("index.html", PAGE), ("python.worker.js", WORKER), (EMBED_FILE, EMBED)];

/// Every text of ours that goes into a bundle or runs it: what the web bundle step's key covers.
pub fn shipped_texts() -> String {
    let page = PAGE_FILES.iter().map(|(_, text)| *text);
    page.chain([NODE_RUNNER, stdlib::SCRIPT]).collect()
}

/// What goes into a bundle.
pub struct Inputs<'a> {
    /// The interpreter module (`python.js` or `python.mjs`); its `.wasm` sits beside it.
    pub module: &'a Path,
    pub version: PythonLine,
    /// The stdlib zip's file name in the bundle (the line's profile names it).
    pub zip_name: String,
    /// The interpreter's compiled-in prefix (configure's `--prefix`).
    pub prefix: &'a str,
    /// The source's `Lib/` and the build's sysconfig data.
    pub lib: &'a Path,
    pub sysconfigdata: &'a [PathBuf],
    pub extensions: &'a [PathBuf],
}

/// The stdlib zip's path inside the interpreter, where it looks for it (`PREFIX/lib/pythonXY.zip`).
pub fn stdlib_path(version: PythonLine, prefix: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    format!("{prefix}/lib/python{}{}.zip", version.major, version.minor)
}

pub(crate) fn name_of(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The stdlib zip of an assembled bundle.
pub struct StdlibZip {
    /// Its name in the bundle, its path there, and its path inside the interpreter.
    pub name: String,
    pub path: PathBuf,
    pub inside: String,
    pub entries: usize,
}

/// Assembles the bundle at `dest`, compiling the stdlib with `compiler`.
pub fn assemble(dest: &Path, inputs: &Inputs, compiler: &stdlib::StdlibCompiler) -> anyhow::Result<StdlibZip> {
    let partial = dest.with_extension("partial");
    remove_tree_if_exists(&partial)?;
    fs::create_dir_all(&partial)?;
    let version = inputs.version;
    let home = inputs.prefix.trim_end_matches('/');
    let (zip_name, zip_path) = (inputs.zip_name.clone(), stdlib_path(version, inputs.prefix));
    let sources = stdlib::sources(inputs.lib, inputs.sysconfigdata)?;
    let entries = stdlib::compile(compiler, &sources, &zip_path)?;
    let count = entries.len();
    zip::write(&partial.join(&zip_name), entries)?;

    let wasm = inputs.module.with_extension("wasm");
    for file in [inputs.module, wasm.as_path()].into_iter().chain(inputs.extensions.iter().map(PathBuf::as_path)) {
        // A copy, not a link: make rewrites some of these in place.
        let bytes = fs::read(file).with_context(|| format!("copy {} into the bundle", file.shown()))?;
        write_atomic(&partial.join(name_of(file)), bytes)?;
    }
    let kind = if name_of(inputs.module).ends_with(".mjs") { ModuleKind::Module } else { ModuleKind::Script };
    let config = Bundle {
        python: version.to_string(),
        module: name_of(inputs.module),
        kind,
        wasm: name_of(&wasm),
        stdlib: zip_name.clone(),
        stdlib_path: zip_path.clone(),
        dynload: format!("{home}/lib/python{version}/lib-dynload"),
        landmark: format!("{home}/lib/python{version}/os.py"),
        extensions: inputs.extensions.iter().map(|p| name_of(p)).collect(),
    };
    write_atomic(&partial.join(crate::bundle::FILE), config.to_json()?)?;
    for (name, text) in PAGE_FILES {
        write_atomic(&partial.join(name), text)?;
    }
    swap_in(&partial, dest)?;
    Ok(StdlibZip { path: dest.join(&zip_name), name: zip_name, inside: zip_path, entries: count })
}

/// The build's sysconfig data (`_sysconfigdata_*.py`), in the directory `pybuilddir.txt` names.
pub fn sysconfigdata(build: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let named = fs::read_to_string(build.join("pybuilddir.txt"))?;
    let dir = build.join(named.trim());
    let mut found: Vec<PathBuf> = fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = name_of(path);
            name.starts_with("_sysconfigdata_") && name.ends_with(".py")
        })
        .collect();
    found.sort();
    if found.is_empty() {
        anyhow::bail!("no _sysconfigdata_*.py in {}: did make finish?", dir.shown());
    }
    Ok(found)
}

/// Replaces `dest` by `partial`: the old bundle is moved aside first and removed last.
fn swap_in(partial: &Path, dest: &Path) -> anyhow::Result<()> {
    let old = dest.with_extension("old");
    remove_tree_if_exists(&old)?;
    if dest.exists() {
        fs::rename(dest, &old)?;
    }
    fs::rename(partial, dest)?;
    remove_tree_if_exists(&old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_step_key_covers_every_text_shipped() {
        let key_text = shipped_texts();
        for (name, text) in PAGE_FILES {
            assert!(key_text.contains(text), "{name}");
        }
        assert!(key_text.contains(NODE_RUNNER) && key_text.contains(stdlib::SCRIPT));
    }

    #[test]
    fn the_stdlib_zip_is_found_under_the_prefix() {
        let line = |minor| PythonLine { major: 3, minor };
        assert_eq!(stdlib_path(line(13), "/usr/local"), "/usr/local/lib/python313.zip");
        assert_eq!(stdlib_path(line(14), "/"), "/lib/python314.zip");
        assert_eq!(stdlib_path(line(16), "/usr/local/"), "/usr/local/lib/python316.zip");
    }

    #[test]
    fn a_new_bundle_replaces_the_old_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (dest, partial) = (dir.path().join("web"), dir.path().join("web.partial"));
        fs::create_dir_all(&dest).unwrap();
        fs::write(dest.join("stale.js"), "old").unwrap();
        fs::create_dir_all(&partial).unwrap();
        fs::write(partial.join("index.html"), "new").unwrap();
        swap_in(&partial, &dest).unwrap();
        assert!(!dest.join("stale.js").exists() && dest.join("index.html").is_file());
        assert!(!partial.exists() && !dir.path().join("web.old").exists());
    }
}
