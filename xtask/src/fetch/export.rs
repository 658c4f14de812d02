//! `mirror export DIR`: verified artifacts laid out for a static file server (docs/mirror.md).
//!
//! ```text
//! DIR/<name>/<file>      each artifact, under the file name of its upstream URL
//! DIR/manifest.toml      the effective manifest (base + overlays) of the exported artifacts
//! ```

use std::path::Path;

use super::mirror::mirror_relative_path;
use super::Fetched;
use crate::files;
use crate::manifest::{self, Artifact, SCHEMA};
use crate::text::PathText;

/// Copies one verified file into the mirror; an existing identical copy is kept.
pub fn export_file(dir: &Path, artifact: &Artifact, fetched: &Fetched) -> anyhow::Result<()> {
    let target = dir.join(mirror_relative_path(artifact));
    if target.is_file() && files::sha256_file(&target)? == artifact.sha256 {
        return Ok(());
    }
    files::copy_atomic(&fetched.path, &target)
}

/// Writes `DIR/manifest.toml`, listing the exported artifacts with their upstream URLs.
pub fn write_manifest(dir: &Path, artifacts: &[Artifact]) -> anyhow::Result<()> {
    let text = format!(
        "# Written by `cargo xtask mirror export`. Use with: --manifest {0}/manifest.toml --mirror {0}\nschema = {SCHEMA}\n\n{1}",
        dir.shown(),
        manifest::entries_text(artifacts)
    );
    files::write_atomic(&dir.join("manifest.toml"), text)
}
