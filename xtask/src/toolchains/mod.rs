//! Toolchains: pinned archives extracted once into the cache, per version.
//!
//! `CACHE/toolchains/<name>-<version>-<sha256[..12]>/` holds the tree and `.installed`, written
//! last. The install runs under the download's lock, so concurrent bootstraps share one install.

pub mod emscripten;
pub mod node;
pub mod wasi_sdk;
pub mod wasmtime;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::fetch::extract;
use crate::fetch::Fetcher;
use crate::manifest::Artifact;

const INSTALLED: &str = ".installed";

/// The toolchain of one target, opened and checked: a compiler and a runner.
pub enum Tools {
    Wasi { sdk: wasi_sdk::WasiSdk, wasmtime: wasmtime::Wasmtime },
    Emscripten { emscripten: emscripten::Emscripten, node: node::Node },
}

impl Tools {
    /// Names the compiler in step keys and dependency cache keys.
    pub fn identity(&self) -> String {
        match self {
            Tools::Wasi { sdk, .. } => sdk.identity(),
            Tools::Emscripten { emscripten, .. } => emscripten.identity(),
        }
    }

    /// The directory the compiler lives under, mapped away in debug information.
    pub fn compiler_root(&self) -> &Path {
        match self {
            Tools::Wasi { sdk, .. } => sdk.root.parent().unwrap_or(&sdk.root),
            Tools::Emscripten { emscripten, .. } => emscripten.root.parent().unwrap_or(&emscripten.root),
        }
    }

    /// One line for the log: which compiler and runner, and where.
    pub fn describe(&self) -> String {
        match self {
            Tools::Wasi { sdk, wasmtime } => {
                format!("{} ({}), wasmtime {}", sdk.identity(), sdk.root.display(), wasmtime.version_string())
            }
            Tools::Emscripten { emscripten, node } => {
                format!("{} ({}), node {}", emscripten.identity(), emscripten.root.display(), node.version)
            }
        }
    }
}

/// Fetches (if needed) and extracts an artifact; returns its root directory.
pub fn install(fetcher: &Fetcher, artifact: &Artifact) -> anyhow::Result<PathBuf> {
    let cache = fetcher.cache();
    let dir = cache.root.join("toolchains").join(format!(
        "{}-{}-{}",
        artifact.name,
        artifact.version,
        &artifact.sha256[..12]
    ));
    if dir.join(INSTALLED).exists() && !fetcher.verifies_everything() {
        return Ok(dir);
    }
    let fetched = fetcher.fetch(artifact)?;
    let _lock = cache.lock(artifact).with_context(|| format!("lock {}", cache.root.display()))?;
    if dir.join(INSTALLED).exists() {
        return Ok(dir);
    }
    if dir.exists() {
        // An interrupted install: no stamp, so nothing in it is trusted.
        fs::remove_dir_all(&dir).with_context(|| format!("remove the incomplete install {}", dir.display()))?;
    }
    eprintln!("install: {artifact} into {}", dir.display());
    extract::extract(&fetched.path, artifact.format, artifact.strip.as_deref(), &dir)
        .with_context(|| format!("{artifact}: install from {}", fetched.path.display()))?;
    fs::write(dir.join(INSTALLED), format!("{}\n", artifact.sha256)).context("write the install stamp")?;
    Ok(dir)
}

/// The major version of a version string: `24` for `24.0`.
pub fn major(version: &str) -> &str {
    version.split(['.', ' ', '-']).next().unwrap_or(version)
}
