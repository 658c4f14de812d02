//! A CPython checkout given with --python-source: its line from Include/patchlevel.h, its
//! SOURCE_DATE_EPOCH from git, and the toolchain pins it carries in Platforms/*/config.toml.

use std::path::Path;

use anyhow::{bail, Context};

use super::{mtime_seconds, PythonLine, SourceTree};
use crate::process::{Cmd, Env};
use crate::text::PathText;

/// The identity of every checkout (a release's is its sha256).
pub const IDENTITY: &str = "checkout";

/// A CPython checkout given with --python-source.
pub fn open(dir: &Path, env: &Env) -> anyhow::Result<SourceTree> {
    let (text, line) = patchlevel(dir)?;
    let epoch = match Cmd::new("git", dir, env).args(["log", "-1", "--pretty=%ct"]).read() {
        Ok(out) if !out.trim().is_empty() => out.trim().parse().context("git log printed no timestamp")?,
        _ => mtime_seconds(&dir.join("configure"))?,
    };
    let revision = match Cmd::new("git", dir, env).args(["rev-parse", "HEAD"]).read() {
        Ok(out) if !out.trim().is_empty() => Some(out.trim().to_owned()),
        _ => None,
    };
    let pins = super::pins::read(dir)?;
    let (root, origin) = (dir.to_owned(), dir.to_owned());
    let version = full_version(&text)?;
    Ok(SourceTree { root, origin, line, identity: IDENTITY.into(), source_date_epoch: epoch, pins, version, revision })
}

/// The CPython line of the tree at `dir`, from its Include/patchlevel.h.
pub fn line_of(dir: &Path) -> anyhow::Result<PythonLine> {
    Ok(patchlevel(dir)?.1)
}

/// Include/patchlevel.h's text, read as outside input (a regular file, bounded).
fn patchlevel_text(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join("Include/patchlevel.h");
    let text = crate::files::read_text_regular(&path, super::TREE_TEXT_LIMIT)?;
    text.with_context(|| format!("{} is missing", path.shown()))
}

/// Include/patchlevel.h's text, and the line it defines.
fn patchlevel(dir: &Path) -> anyhow::Result<(String, PythonLine)> {
    let text = patchlevel_text(dir).with_context(|| format!("{} is not a CPython checkout", dir.shown()))?;
    let line = PythonLine { major: define(&text, "PY_MAJOR_VERSION")?, minor: define(&text, "PY_MINOR_VERSION")? };
    Ok((text, line))
}

/// The full version Include/patchlevel.h defines, as CPython's WASI package names its archive:
/// `3.13.5`, `3.15.0a8`, `3.14.0b2`, and `c` for a release candidate (`3.14.0c1`, from the
/// release level `candidate`); the `+` of a development tree is dropped.
pub fn full_version(header: &str) -> anyhow::Result<String> {
    let quoted = header
        .lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            let named = words.next() == Some("#define") && words.next() == Some("PY_VERSION");
            named.then(|| words.next()?.strip_prefix('"')?.split('"').next()).flatten()
        })
        .context("PY_VERSION not found in Include/patchlevel.h")?;
    let version = quoted.trim_end_matches('+').replace("rc", "c");
    let fine = !version.is_empty() && version.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
    if !fine {
        bail!("Include/patchlevel.h defines PY_VERSION as {:?}, not a version", crate::text::printable(quoted));
    }
    Ok(version)
}

/// [`full_version`] of the tree at `root`.
pub fn version_of(root: &Path) -> anyhow::Result<String> {
    full_version(&patchlevel_text(root)?).with_context(|| format!("read {}", root.join("Include/patchlevel.h").shown()))
}

fn define(header: &str, name: &str) -> anyhow::Result<u32> {
    for line in header.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("#define") && words.next() == Some(name) {
            if let Some(value) = words.next().and_then(|v| v.parse().ok()) {
                return Ok(value);
            }
        }
    }
    bail!("{name} not found in Include/patchlevel.h")
}

#[cfg(test)]
mod tests {
    use super::*;
    use fs_err as fs;

    #[test]
    fn full_versions_are_named_as_upstream_names_its_archives() {
        let header = |v: &str| format!("#define PY_VERSION_HEX 0x030d05f0\n#define PY_VERSION      \"{v}\"\n");
        assert_eq!(full_version(&header("3.13.5")).unwrap(), "3.13.5");
        assert_eq!(full_version(&header("3.15.0a8+")).unwrap(), "3.15.0a8");
        assert_eq!(full_version(&header("3.14.0rc1")).unwrap(), "3.14.0c1");
        assert!(full_version(&header("3.13/../x")).is_err());
        assert!(full_version("#define PY_MAJOR_VERSION 3").is_err());
    }

    #[test]
    fn patchlevel_defines_are_read() {
        let header = "#define PY_MAJOR_VERSION        3\n#define PY_MINOR_VERSION        15\n";
        assert_eq!(define(header, "PY_MINOR_VERSION").unwrap(), 15);
        assert!(define(header, "PY_MICRO_VERSION").is_err());
    }

    #[test]
    fn a_checkout_gives_its_line_and_its_wasi_sdk_pin() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("Include")).unwrap();
        fs::create_dir_all(dir.path().join("Platforms/WASI")).unwrap();
        fs::write(
            dir.path().join("Include/patchlevel.h"),
            "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 15\n#define PY_VERSION \"3.15.0a1+\"\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("Platforms/WASI/config.toml"),
            "[targets]\nwasi-sdk = 34\nhost-triple = \"wasm32-wasip1\"\n",
        )
        .unwrap();
        fs::write(dir.path().join("configure"), "#!/bin/sh\n").unwrap();
        let env = crate::process::system_env();
        let tree = open(dir.path(), &env).unwrap();
        assert_eq!(tree.line, PythonLine { major: 3, minor: 15 });
        assert_eq!(tree.pins.wasi_sdk.as_deref(), Some("34"));
        assert_eq!(tree.identity, "checkout");
        assert!(tree.source_date_epoch > 0);
        let err = open(&dir.path().join("Include"), &env).unwrap_err().to_string();
        assert!(err.contains("is not a CPython checkout"), "{err}");
    }
}
