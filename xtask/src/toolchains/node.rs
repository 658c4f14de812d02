//! Node, the runner of the emscripten node target and the engine emcc runs its JS tools on.
//!
//! Release layout (`node-vX.Y.Z-linux-x64.tar.gz`): `bin/node`. CPython's node entry needs
//! Node ≥ 18.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::process::{Cmd, Env};
use crate::text::PathText;

const MINIMUM_MAJOR: u32 = 18;

#[derive(Debug, Clone)]
pub struct Node {
    pub binary: PathBuf,
    /// `20.11.1`, from `node --version`.
    pub version: String,
    /// `20`, read from the version once, when the binary is opened.
    pub major: u32,
}

impl Node {
    pub fn open(binary: &Path, probe_env: &Env) -> anyhow::Result<Node> {
        if !binary.is_file() {
            bail!("node not found at {}; pass --node PATH or drop it to use the pinned release", binary.shown());
        }
        let dir = binary.parent().unwrap_or(Path::new("/"));
        let text = Cmd::new(binary, dir, probe_env).arg("--version").read()?;
        let version = text.trim().trim_start_matches('v').to_owned();
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .with_context(|| format!("unexpected `node --version` output: {}", text.trim()))?;
        if major < MINIMUM_MAJOR {
            bail!(
                "node {version} at {} is too old: CPython's emscripten build needs Node {MINIMUM_MAJOR} or newer",
                binary.shown()
            );
        }
        Ok(Node { binary: binary.to_owned(), version, major })
    }
}
