//! The stdlib of the web bundle: which files of `Lib/` go in, compiled to `.pyc` by the build
//! Python, zipped deterministically. Tests and what a browser cannot use stay out.

use std::path::{Path, PathBuf};

use anyhow::Context;
use fs_err as fs;

use crate::files::{remove_tree_if_exists, write_atomic};
use crate::process::{Cmd, Env};
use crate::text::PathText;

/// Directories left out wherever they are: test suites and caches.
const SKIPPED_DIRS: &[&str] = &["test", "tests", "idle_test", "__pycache__", "site-packages"];

/// Left out from the top of `Lib/`: installers and environments (no pip, no venv in a page), the
/// Tk and curses front ends (no `_tkinter`, no `_curses`), the dbm back ends nothing builds, the
/// help topics (a large file), and the pure-Python decimal (the bundle has `_decimal`).
const SKIPPED: &[&str] = &[
    "ensurepip/",
    "venv/",
    "idlelib/",
    "tkinter/",
    "turtledemo/",
    "turtle.py",
    "curses/",
    "dbm/gnu.py",
    "dbm/ndbm.py",
    "pydoc_data/",
    "_pydecimal.py",
    "_aix_support.py",
    "_osx_support.py",
    "antigravity.py",
    "webbrowser.py",
];

/// Whether `name` (relative to `Lib/`, with `/`) goes into the bundle.
pub fn wanted(name: &str) -> bool {
    let mut parts: Vec<&str> = name.split('/').collect();
    let file = parts.pop().unwrap_or_default();
    file.ends_with(".py")
        && !parts.iter().any(|dir| SKIPPED_DIRS.contains(dir))
        && !SKIPPED.iter().any(|skip| if skip.ends_with('/') { name.starts_with(skip) } else { name == *skip })
}

/// The sources to compile, as (path, name inside the zip ending in `.pyc`), in name order.
pub fn sources(lib: &Path, sysconfigdata: &[PathBuf]) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut found = vec![];
    walk(lib, "", &mut found)?;
    found.retain(|(_, name)| wanted(name));
    for file in sysconfigdata {
        found.push((file.clone(), super::name_of(file)));
    }
    let mut found: Vec<_> = found.into_iter().map(|(path, name)| (path, format!("{name}c"))).collect();
    found.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(found)
}

fn walk(dir: &Path, prefix: &str, found: &mut Vec<(PathBuf, String)>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        let kind = entry.file_type()?;
        let inside = format!("{prefix}{name}");
        if kind.is_dir() {
            walk(&entry.path(), &format!("{inside}/"), found)?;
        } else if kind.is_file() {
            found.push((entry.path(), inside));
        }
    }
    Ok(())
}

/// How to compile: the build Python and where it may write.
pub struct StdlibCompiler<'a> {
    pub python: &'a Path,
    pub scratch: &'a Path,
    pub env: &'a Env,
}

pub const SCRIPT: &str = include_str!("compile_stdlib.py");

/// Compiles `sources` and returns the zip's entries. Tracebacks name a module by `shown_as`, the
/// zip's path inside the interpreter, and its name in the zip.
pub fn compile(
    compiler: &StdlibCompiler,
    sources: &[(PathBuf, String)],
    shown_as: &str,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let scratch = compiler.scratch;
    remove_tree_if_exists(scratch)?;
    let out = scratch.join("pyc");
    fs::create_dir_all(&out)?;
    let script = scratch.join("compile_stdlib.py");
    write_atomic(&script, SCRIPT)?;
    let list: String = sources.iter().map(|(path, name)| format!("{}\t{name}\n", path.plain())).collect();
    let list_file = scratch.join("sources.txt");
    write_atomic(&list_file, list)?;
    let mut env = compiler.env.clone();
    env.insert("PYTHONHASHSEED".into(), "0".into());
    env.insert("PYTHONDONTWRITEBYTECODE".into(), "1".into());
    Cmd::new(compiler.python, scratch, &env)
        .args([&script, &list_file, &out].map(|p| p.plain()))
        .arg(shown_as)
        .read()
        .context("compile the stdlib for the web bundle")?;
    let mut entries = vec![];
    for (_, name) in sources {
        let bytes = fs::read(out.join(name))?;
        entries.push((name.clone(), bytes));
    }
    remove_tree_if_exists(scratch)?;
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_and_what_a_browser_cannot_use_stay_out() {
        for name in ["os.py", "json/__init__.py", "asyncio/base_events.py", "sqlite3/dbapi2.py", "dbm/sqlite3.py"] {
            assert!(wanted(name), "{name} should be in");
        }
        for name in [
            "test/test_os.py",
            "unittest/test/test_case.py",
            "idlelib/idle_test/x.py",
            "ensurepip/__init__.py",
            "tkinter/ttk.py",
            "turtle.py",
            "dbm/gnu.py",
            "os.txt",
            "json/__pycache__/x.py",
            "pydoc_data/topics.py",
        ] {
            assert!(!wanted(name), "{name} should be out");
        }
        // Only exact names at the top: a module merely starting like one stays in.
        assert!(wanted("turtle_helper.py") && wanted("lib/turtle.py"));
    }

    #[test]
    fn sources_are_sorted_by_name_and_named_pyc() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("Lib");
        for name in ["z.py", "a/b.py", "a/__init__.py", "test/t.py", "README.txt"] {
            let path = lib.join(name);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, "x = 1\n").unwrap();
        }
        let data = dir.path().join("_sysconfigdata__emscripten_wasm32-emscripten.py");
        fs::write(&data, "build_time_vars = {}\n").unwrap();
        let names: Vec<_> = sources(&lib, &[data]).unwrap().into_iter().map(|(_, name)| name).collect();
        assert_eq!(names, ["_sysconfigdata__emscripten_wasm32-emscripten.pyc", "a/__init__.pyc", "a/b.pyc", "z.pyc"]);
    }
}
