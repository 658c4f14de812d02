//! The toolchain stage: the compiler and runner of a target, pinned in the manifest, installed
//! once into the cache (or given by the user), opened and checked.
//!
//! `CACHE/toolchains/<name>-<version>-<sha256[..12]>/` holds each installed archive, with
//! `.contents.json` (what it holds, for `--verify`: contents.rs) and `.installed` written last.

pub mod emscripten;
pub mod node;
pub mod contents;
pub mod view;
mod open;
pub mod wasi_sdk;
pub mod wasmtime;

use crate::events::{self, Stage};
use std::path::{Path, PathBuf};

use crate::fetch::Fetcher;
use crate::manifest::Artifact;
use crate::once::Slot;
use crate::process::Env;
use crate::text::PathText;
pub use open::{open, pins, tree_pins, Overrides};

/// The toolchain of one target, opened and checked: a compiler and a runner.
pub enum Toolchain {
    Wasi { sdk: wasi_sdk::WasiSdk, wasmtime: wasmtime::Wasmtime },
    Emscripten { emscripten: emscripten::Emscripten, node: node::Node },
}

/// How to compile C for the target: what the dependency builds need.
pub struct Compiler {
    /// The compiler and its fixed arguments (the sysroot for the WASI SDK).
    pub cc: Vec<String>,
    pub ar: PathBuf,
    /// Names the compiler in cache keys.
    pub identity: String,
    pub env: Env,
}

impl Toolchain {
    /// Names the compiler in step keys and dependency cache keys.
    pub fn identity(&self) -> String {
        match self {
            Toolchain::Wasi { sdk, .. } => sdk.identity(),
            Toolchain::Emscripten { emscripten, .. } => emscripten.identity(),
        }
    }

    /// The directory the compiler lives under, mapped away in debug information.
    pub fn compiler_root(&self) -> &Path {
        match self {
            Toolchain::Wasi { sdk, .. } => sdk.root.parent().unwrap_or(&sdk.root),
            Toolchain::Emscripten { emscripten, .. } => emscripten.root.parent().unwrap_or(&emscripten.root),
        }
    }

    /// The toolchain as the build sees it through the work dir's `view` (view.rs): the WASI SDK
    /// by links (its compilers through `cache`, if given); emscripten as it is (its compiler
    /// cache is emcc's wrapper: cpython/emscripten).
    pub fn viewed(
        self,
        view: &Path,
        cache: Option<&crate::compiler_cache::CompilerCache>,
    ) -> anyhow::Result<Toolchain> {
        Ok(match self {
            Toolchain::Wasi { sdk, wasmtime } => Toolchain::Wasi { sdk: view::wasi_sdk(view, &sdk, cache)?, wasmtime },
            // emcc resolves the links to its cache (its sysroot), so a view would not change
            // the paths its compiles see; it is used as it is.
            other => other,
        })
    }

    /// One line for the log: which compiler and runner, and where.
    pub fn summary(&self) -> String {
        match self {
            Toolchain::Wasi { sdk, wasmtime } => {
                format!("{} ({}), wasmtime {}", sdk.identity(), sdk.root.shown(), wasmtime.version_string())
            }
            Toolchain::Emscripten { emscripten, node } => {
                format!("{} ({}), node {}", emscripten.identity(), emscripten.root.shown(), node.version)
            }
        }
    }

    /// The compiler for libraries, run in `tool_env` (plus what emcc needs).
    pub fn compiler(&self, tool_env: &Env) -> Compiler {
        let identity = self.identity();
        match self {
            Toolchain::Wasi { sdk, .. } => Compiler {
                cc: vec![sdk.bin("clang").plain(), format!("--sysroot={}", sdk.sysroot().plain())],
                ar: sdk.bin("llvm-ar"),
                identity,
                env: tool_env.clone(),
            },
            Toolchain::Emscripten { emscripten, node } => Compiler {
                cc: vec![emscripten.tool("emcc").plain()],
                ar: emscripten.tool("emar"),
                identity,
                env: emscripten.env(node, tool_env),
            },
        }
    }
}

/// Fetches (if needed) and extracts an artifact once; returns its root directory. With
/// `verify`, the cached archive is hashed again first.
pub fn install(fetcher: &Fetcher, artifact: &Artifact) -> anyhow::Result<PathBuf> {
    let dir = fetcher.cache().root.join("toolchains").join(format!(
        "{}-{}-{}",
        artifact.name,
        artifact.version,
        &artifact.sha256[..12]
    ));
    if fetcher.verifies_everything() {
        fetcher.fetch(artifact)?;
    }
    crate::fetch::cache::check_dirs(artifact, &[crate::files::parent(&dir)?.to_owned()])?;
    let stamp = dir.join(".installed");
    let slot = Slot { dest: &dir, stamp: &stamp, key: &artifact.sha256 };
    let step = format!("install {artifact}");
    let fill = |staging: &Path| {
        eprintln!("install: {artifact} into {}", dir.shown());
        events::step(Stage::Toolchain, &step, None, || {
            fetcher.extract_to(artifact, artifact.strip.as_deref(), staging)?;
            contents::record(staging)
        })
    };
    let mut made = slot.fill(&artifact.to_string(), fill)?;
    if !made && fetcher.verifies_everything() {
        let why = match contents::differences(&dir)? {
            None => Some("no record of what it holds (installed by an older version)".to_owned()),
            Some(found) if !found.is_empty() => {
                Some(format!("{} paths differ from what was installed, first: {}", found.len(), found[0]))
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            eprintln!("install: {artifact} at {}: {why}; installing it again", dir.shown());
            crate::files::remove_file_if_exists(&stamp)?;
            made = slot.fill(&artifact.to_string(), fill)?;
        }
    }
    if !made {
        events::skipped(Stage::Toolchain, &step, "installed already (in the cache)");
    }
    Ok(dir)
}

/// The major version of a version string: `24` for `24.0`.
pub fn major(version: &str) -> &str {
    version.split(['.', ' ', '-']).next().unwrap_or(version)
}
