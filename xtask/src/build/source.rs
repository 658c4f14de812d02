//! The CPython source: a pinned release tarball extracted into the work dir, or a checkout.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use crate::fetch::{extract, Fetcher};
use crate::manifest::Manifest;
use crate::process::Cmd;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PythonLine {
    pub major: u32,
    pub minor: u32,
}

impl PythonLine {
    pub fn parse(text: &str) -> anyhow::Result<PythonLine> {
        let (major, minor) = text.split_once('.').context("expected X.Y")?;
        Ok(PythonLine {
            major: major.parse().with_context(|| format!("`{text}` is not a CPython line like 3.13"))?,
            minor: minor.parse().with_context(|| format!("`{text}` is not a CPython line like 3.13"))?,
        })
    }
}

impl fmt::Display for PythonLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[derive(Debug, Clone)]
pub struct SourceTree {
    pub root: PathBuf,
    pub line: PythonLine,
    /// The release tarball's sha256, or `checkout` for a checkout.
    pub identity: String,
    pub source_date_epoch: u64,
    /// The WASI SDK major version a checkout's Platforms/WASI/config.toml pins, if any.
    pub checkout_wasi_sdk: Option<String>,
}

/// The newest CPython line the manifest pins a release for.
pub fn newest_line(manifest: &Manifest, host: &str) -> anyhow::Result<PythonLine> {
    manifest
        .for_host(host)
        .filter(|a| a.component == "cpython")
        .flat_map(|a| a.python.iter())
        .filter_map(|line| PythonLine::parse(line).ok())
        .max()
        .context("the manifest pins no `cpython` release; pass --python-source DIR or add one with --overlay")
}

/// Extracts the pinned release of `line` into `work/src/` (once) and returns the tree.
pub fn release(
    fetcher: &Fetcher,
    manifest: &Manifest,
    host: &str,
    line: PythonLine,
    work: &Path,
) -> anyhow::Result<SourceTree> {
    let artifact = manifest.component("cpython", &line.to_string(), host)?;
    let top = artifact.strip.clone().unwrap_or_else(|| format!("Python-{}", artifact.version));
    let root = work.join("src").join(&top);
    let stamp = work.join("src").join(format!("{top}.extracted"));
    if fs::read_to_string(&stamp).ok().as_deref() != Some(artifact.sha256.as_str()) {
        let fetched = fetcher.fetch(&artifact)?;
        if root.exists() {
            fs::remove_dir_all(&root).with_context(|| format!("remove the stale source {}", root.display()))?;
        }
        // A fresh tree carries no patches, whatever the last stamp said.
        let _ = fs::remove_file(work.join("stamps/patches.json"));
        eprintln!("source: extracting {artifact} into {}", root.display());
        extract::extract(&fetched.path, artifact.format, Some(&top), &root)?;
        fs::write(&stamp, &artifact.sha256)?;
    }
    let epoch = newest_mtime(&root.join("configure"))?;
    Ok(SourceTree { root, line, identity: artifact.sha256, source_date_epoch: epoch, checkout_wasi_sdk: None })
}

/// A CPython checkout given with --python-source.
pub fn checkout(dir: &Path, env: &BTreeMap<String, String>) -> anyhow::Result<SourceTree> {
    let patchlevel = dir.join("Include/patchlevel.h");
    let text = fs::read_to_string(&patchlevel).with_context(|| {
        format!("{} is not a CPython checkout: cannot read {}", dir.display(), patchlevel.display())
    })?;
    let line = PythonLine { major: define(&text, "PY_MAJOR_VERSION")?, minor: define(&text, "PY_MINOR_VERSION")? };
    let epoch = match Cmd::new("git", dir, env).args(["log", "-1", "--pretty=%ct"]).read() {
        Ok(out) if !out.trim().is_empty() => out.trim().parse().context("git log printed no timestamp")?,
        _ => newest_mtime(&dir.join("configure"))?,
    };
    let config = dir.join("Platforms/WASI/config.toml");
    let checkout_wasi_sdk = match fs::read_to_string(&config) {
        Ok(text) => {
            let value: toml::Value = toml::from_str(&text).with_context(|| format!("parse {}", config.display()))?;
            let pin = value.get("targets").and_then(|t| t.get("wasi-sdk")).and_then(toml::Value::as_integer);
            pin.map(|p| {
                eprintln!("source: {} pins WASI SDK {p}; using that pin", config.display());
                p.to_string()
            })
        }
        Err(_) => None,
    };
    Ok(SourceTree {
        root: dir.to_owned(),
        line,
        identity: "checkout".into(),
        source_date_epoch: epoch,
        checkout_wasi_sdk,
    })
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

fn newest_mtime(path: &Path) -> anyhow::Result<u64> {
    let modified = fs::metadata(path).and_then(|m| m.modified()).with_context(|| format!("stat {}", path.display()))?;
    Ok(modified.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

/// A cheap fingerprint of a source tree: every file's path, size and mtime. Build outputs,
/// `.git` and `__pycache__` are left out so that running the interpreter does not change it.
pub fn fingerprint(root: &Path) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> =
            fs::read_dir(&dir).with_context(|| format!("read {}", dir.display()))?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let top_level = dir == root;
            if name == ".git"
                || name == "__pycache__"
                || (top_level && ["cross-build", "builddir", "build", "target"].contains(&name.as_ref()))
            {
                continue;
            }
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            let mtime =
                meta.modified().ok().and_then(|m| m.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
            hasher.update(format!("{}\0{}\0{mtime}\n", entry.path().display(), meta.len()));
        }
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_order() {
        assert_eq!(PythonLine::parse("3.13").unwrap(), PythonLine { major: 3, minor: 13 });
        assert!(PythonLine::parse("3.9").unwrap() < PythonLine::parse("3.13").unwrap());
        assert!(PythonLine::parse("three").is_err());
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
        fs::write(dir.path().join("Include/patchlevel.h"), "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 15\n")
            .unwrap();
        fs::write(
            dir.path().join("Platforms/WASI/config.toml"),
            "[targets]\nwasi-sdk = 34\nhost-triple = \"wasm32-wasip1\"\n",
        )
        .unwrap();
        fs::write(dir.path().join("configure"), "#!/bin/sh\n").unwrap();
        let env = BTreeMap::from([("PATH".to_owned(), "/usr/bin:/bin".to_owned())]);
        let tree = checkout(dir.path(), &env).unwrap();
        assert_eq!(tree.line, PythonLine { major: 3, minor: 15 });
        assert_eq!(tree.checkout_wasi_sdk.as_deref(), Some("34"));
        assert_eq!(tree.identity, "checkout");
        assert!(tree.source_date_epoch > 0);
        let err = checkout(&dir.path().join("Include"), &env).unwrap_err().to_string();
        assert!(err.contains("is not a CPython checkout"), "{err}");
    }

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
