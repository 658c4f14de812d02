//! A CPython checkout given with --python-source: its line from Include/patchlevel.h, its
//! SOURCE_DATE_EPOCH from git, and the toolchain pins it carries in Platforms/*/config.toml.

use std::path::Path;

use anyhow::{bail, Context};
use fs_err as fs;

use super::{mtime_seconds, PythonLine, SourceTree};
use crate::process::{Cmd, Env};

/// The identity of every checkout (a release's is its sha256).
pub const IDENTITY: &str = "checkout";

/// A CPython checkout given with --python-source.
pub fn open(dir: &Path, env: &Env) -> anyhow::Result<SourceTree> {
    let patchlevel = dir.join("Include/patchlevel.h");
    let text = fs::read_to_string(&patchlevel).with_context(|| {
        format!("{} is not a CPython checkout: cannot read {}", dir.display(), patchlevel.display())
    })?;
    let line = PythonLine { major: define(&text, "PY_MAJOR_VERSION")?, minor: define(&text, "PY_MINOR_VERSION")? };
    let epoch = match Cmd::new("git", dir, env).args(["log", "-1", "--pretty=%ct"]).read() {
        Ok(out) if !out.trim().is_empty() => out.trim().parse().context("git log printed no timestamp")?,
        _ => mtime_seconds(&dir.join("configure"))?,
    };
    let pins = super::pins::read(dir)?;
    let (root, origin) = (dir.to_owned(), dir.to_owned());
    Ok(SourceTree { root, origin, line, identity: IDENTITY.into(), source_date_epoch: epoch, pins })
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
        fs::write(dir.path().join("Include/patchlevel.h"), "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 15\n")
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
