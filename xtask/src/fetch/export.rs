//! `mirror export DIR`: verified artifacts laid out for a static file server (docs/mirror.md).
//!
//! ```text
//! DIR/<name>/<file>      each artifact, under the file name of its upstream URL
//! DIR/manifest.toml      the effective manifest (base + overlays) of the exported artifacts
//! ```

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::mirror::mirror_relative_path;
use super::Fetched;
use crate::files;
use crate::manifest::{Artifact, SCHEMA};

#[derive(Serialize)]
struct ExportedManifest<'a> {
    schema: u32,
    artifact: Vec<ExportedArtifact<'a>>,
}

#[derive(Serialize)]
struct ExportedArtifact<'a> {
    name: &'a str,
    version: &'a str,
    url: &'a str,
    sha256: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unpacked_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    component: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    python: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    strip: Option<&'a str>,
    format: &'static str,
}

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
    let manifest = ExportedManifest {
        schema: SCHEMA,
        artifact: artifacts
            .iter()
            .map(|a| ExportedArtifact {
                name: &a.name,
                version: &a.version,
                url: &a.url,
                sha256: &a.sha256,
                size: a.size,
                unpacked_size: a.unpacked_size,
                host: a.host.as_deref(),
                component: &a.component,
                python: &a.python,
                strip: a.strip.as_deref(),
                format: a.format.name(),
            })
            .collect(),
    };
    let text = format!(
        "# Written by `cargo xtask mirror export`. Use with: --manifest {0}/manifest.toml --mirror {0}\n{1}",
        dir.display(),
        toml::to_string(&manifest).context("serialize the mirror manifest")?
    );
    files::write_atomic(&dir.join("manifest.toml"), text)
}
