//! The dependency stage: the libraries a target links (zlib, bzip2, mpdecimal, sqlite and, on
//! emscripten, libffi), built static and PIC with the target's compiler.
//!
//! A recipe is data (recipes.rs): sources compiled one by one (build.rs), or the library's own
//! configure and make. Every object of the result is then checked to be position-independent
//! wasm (pic/mod.rs), so a non-PIC object is caught here and not at a side-module link. Each build
//! goes to
//! `CACHE/deps/<triple>/<name>-<version>-<key[..16]>/` (include/ and lib/, `.built` written last),
//! where the key hashes the toolchain, the source sha256 and the recipe with its flags. An
//! unchanged key is never rebuilt, not even from a fresh work dir.

mod build;
mod pic;
mod recipes;

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::events::{self, Stage};
use crate::fetch::Fetcher;
use crate::files::hex;
use crate::manifest::{Artifact, Manifest};
use crate::once::Slot;
use crate::source::LibraryPin;
use crate::text::printable;
use crate::toolchains::Compiler;
pub use recipes::Recipe;
#[cfg(test)]
use recipes::{BZIP2, ZLIB};

/// What one target's libraries are built with.
pub struct LibraryBuild<'a> {
    pub compiler: &'a Compiler,
    pub cflags: &'a [&'a str],
    pub triple: &'a str,
    /// `--host` for a library's own configure.
    pub configure_host: &'a str,
    /// Where each build's log goes.
    pub logs: &'a Path,
    /// Parallel make jobs (not part of the key: the output does not depend on it).
    pub jobs: usize,
}

/// A built library: its prefix holds include/ and lib/.
#[derive(Debug, Clone)]
pub struct Library {
    /// The manifest entry it was built from.
    pub artifact: Artifact,
    pub prefix: PathBuf,
    pub key: String,
    /// How CPython's configure takes it (from its recipe).
    pub cpython: recipes::ForCPython,
}

/// Builds (or finds) every library named, in order. A library the CPython source pins itself
/// (`source_pins`) is built from the manifest entry with that sha256.
pub fn build_all(
    names: &[&str],
    fetcher: &Fetcher,
    manifest: &Manifest,
    machine: &str,
    source_pins: &[LibraryPin],
    how: &LibraryBuild,
) -> anyhow::Result<Vec<Library>> {
    names
        .iter()
        .map(|name| {
            let recipe = recipes::ALL
                .into_iter()
                .find(|r| r.component == *name)
                .with_context(|| format!("no recipe for the library `{name}`"))?;
            let pin = source_pins.iter().find(|p| p.component == *name);
            build(recipe, fetcher, &artifact_for(manifest, machine, name, pin)?, how)
        })
        .collect()
}

/// The manifest entry matching the source's pin, else the manifest's own (with a warning that
/// says what to add to build the source's).
pub fn artifact_for(
    manifest: &Manifest,
    machine: &str,
    name: &str,
    pin: Option<&LibraryPin>,
) -> anyhow::Result<Artifact> {
    let Some(pin) = pin else {
        return manifest.any_component(name, machine);
    };
    if let Some(artifact) = manifest.last_matching(machine, name, |a| a.sha256 == pin.sha256) {
        return Ok(artifact.clone());
    }
    let fallback = manifest.any_component(name, machine)?;
    eprintln!(
        "warning: the CPython source pins {name} {} (sha256 {}; Platforms/emscripten/config.toml), which the manifest (with its overlays) lacks; building {fallback} instead. To build the source's, add to a file given with --overlay: [[artifact]] name = \"{name}\" version = \"{}\" url = \"{}\" sha256 = \"{}\"",
        printable(&pin.version),
        printable(&pin.sha256),
        printable(&pin.version),
        printable(&pin.url),
        printable(&pin.sha256)
    );
    Ok(fallback)
}

fn build(recipe: &Recipe, fetcher: &Fetcher, artifact: &Artifact, how: &LibraryBuild) -> anyhow::Result<Library> {
    let key = cache_key(recipe, &artifact.sha256, how);
    let root = self::root(&fetcher.cache().root).join(how.triple);
    let prefix = root.join(format!("{}-{}-{}", recipe.component, artifact.version, &key[..16]));
    crate::fetch::cache::check_dirs(artifact, &[self::root(&fetcher.cache().root), root.clone()])?;
    let stamp = prefix.join(".built");
    let slot = Slot { dest: &prefix, stamp: &stamp, key: &key };
    let step = format!("build {artifact} for {}", how.triple);
    let made = slot.fill(&format!("the {} build of {artifact}", how.triple), |staging| {
        eprintln!("deps: building {artifact} for {}", how.triple);
        let scratch = crate::files::parent(staging)?.join("src");
        fetcher.extract_to(artifact, artifact.strip.as_deref(), &scratch)?;
        events::step(Stage::Deps, &step, None, || {
            build::run(recipe, how, &scratch, staging)?;
            pic::check(&staging.join("lib").join(recipe.library))
                .with_context(|| format!("the {} build of {artifact}", how.triple))
        })
    })?;
    if !made {
        events::skipped(Stage::Deps, &step, "built already (in the cache)");
    }
    Ok(Library { artifact: artifact.clone(), prefix, key, cpython: recipe.cpython })
}

/// Where the dependency builds of a cache live (`CACHE/deps`).
pub fn root(cache: &Path) -> PathBuf {
    cache.join("deps")
}

/// The toolchain, the source and the recipe with its flags: what decides the output.
pub fn cache_key(recipe: &Recipe, source_sha256: &str, how: &LibraryBuild) -> String {
    let mut hasher = Sha256::new();
    let fixed = [how.compiler.identity.as_str(), source_sha256, how.triple, recipe.library];
    let mut parts = recipe.key_parts();
    if let recipes::Build::Configure { .. } = recipe.build {
        parts.push(how.configure_host);
    }
    let flags = parts.iter().chain(how.cflags);
    for part in fixed.into_iter().chain(flags.copied()) {
        hasher.update(part);
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiler(identity: &str) -> Compiler {
        Compiler { cc: vec!["clang".into()], ar: "llvm-ar".into(), identity: identity.into(), env: Default::default() }
    }

    fn key(recipe: &Recipe, sha: &str, identity: &str, cflags: &[&str]) -> String {
        let compiler = compiler(identity);
        let how = LibraryBuild {
            compiler: &compiler,
            cflags,
            triple: "wasm32-wasip1",
            configure_host: "wasm32-unknown-wasi",
            logs: Path::new("/l"),
            jobs: 2,
        };
        cache_key(recipe, sha, &how)
    }

    #[test]
    fn key_changes_with_flags_source_and_toolchain_only() {
        let base = key(&ZLIB, "aa", "wasi-sdk 24.0", &["-O2", "-fPIC"]);
        assert_eq!(base, key(&ZLIB, "aa", "wasi-sdk 24.0", &["-O2", "-fPIC"]));
        assert_ne!(base, key(&ZLIB, "bb", "wasi-sdk 24.0", &["-O2", "-fPIC"]));
        assert_ne!(base, key(&ZLIB, "aa", "wasi-sdk 24.0", &["-O2"]));
        assert_ne!(base, key(&ZLIB, "aa", "wasi-sdk 25.0", &["-O2", "-fPIC"]));
        assert_ne!(base, key(&BZIP2, "aa", "wasi-sdk 24.0", &["-O2", "-fPIC"]));
    }

    #[test]
    fn the_key_of_a_known_input_is_stable_across_releases_of_this_tool() {
        // Changing how the key is computed rebuilds every user's dependencies: this pins it.
        let key = key(&ZLIB, "aa", "wasi-sdk 24.0", &["-O2", "-fPIC"]);
        assert_eq!(&key[..16], STABLE_ZLIB_KEY_PREFIX);
    }

    const STABLE_ZLIB_KEY_PREFIX: &str = "4d9ed546092d7731";
}
