//! The dependency stage: the libraries a target links (zlib, bzip2), built static and PIC with
//! the target's compiler.
//!
//! A recipe is data (recipes.rs). Each build goes to
//! `CACHE/deps/<triple>/<name>-<version>-<key[..16]>/` (include/ and lib/, `.built` written last),
//! where the key hashes the toolchain, the source sha256 and the recipe with its flags. An
//! unchanged key is never rebuilt, not even from a fresh work dir.

mod recipes;

use std::path::{Path, PathBuf};

use anyhow::Context;
use fs_err as fs;
use sha2::{Digest, Sha256};

use crate::fetch::Fetcher;
use crate::files::{hex, remove_file_if_exists};
use crate::manifest::{Artifact, Manifest};
use crate::once::Slot;
use crate::process::Cmd;
use crate::toolchains::Compiler;
pub use recipes::Recipe;
#[cfg(test)]
use recipes::{BZIP2, ZLIB};

/// What one target's libraries are built with.
pub struct LibraryBuild<'a> {
    pub compiler: &'a Compiler,
    pub cflags: &'a [&'a str],
    pub triple: &'a str,
    /// Where each build's log goes.
    pub logs: &'a Path,
}

/// A built library: its prefix holds include/ and lib/.
#[derive(Debug, Clone)]
pub struct Library {
    pub component: String,
    pub prefix: PathBuf,
    pub key: String,
}

/// Builds (or finds) every library named, in order.
pub fn build_all(
    names: &[&str],
    fetcher: &Fetcher,
    manifest: &Manifest,
    host: &str,
    how: &LibraryBuild,
) -> anyhow::Result<Vec<Library>> {
    names
        .iter()
        .map(|name| {
            let recipe = recipes::ALL
                .into_iter()
                .find(|r| r.component == *name)
                .with_context(|| format!("no recipe for the library `{name}`"))?;
            build(recipe, fetcher, &manifest.any_component(name, host)?, how)
        })
        .collect()
}

fn build(recipe: &Recipe, fetcher: &Fetcher, artifact: &Artifact, how: &LibraryBuild) -> anyhow::Result<Library> {
    let key = cache_key(recipe, &artifact.sha256, how);
    let root = fetcher.cache().root.join("deps").join(how.triple);
    let prefix = root.join(format!("{}-{}-{}", recipe.component, artifact.version, &key[..16]));
    let stamp = prefix.join(".built");
    let slot = Slot { dest: &prefix, stamp: &stamp, key: &key };
    slot.fill(&format!("the {} build of {artifact}", how.triple), |staging| {
        eprintln!("deps: building {artifact} for {}", how.triple);
        let scratch = crate::files::parent(staging)?.join("src");
        fetcher.extract_to(artifact, artifact.strip.as_deref(), &scratch)?;
        compile(recipe, how, &scratch, staging)
    })?;
    Ok(Library { component: recipe.component.to_owned(), prefix, key })
}

/// Compiles the recipe's sources in `source` and installs the archive and headers into `prefix`.
fn compile(recipe: &Recipe, how: &LibraryBuild, source: &Path, prefix: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(prefix.join("include"))?;
    fs::create_dir_all(prefix.join("lib"))?;
    let compiler = how.compiler;
    let log = how.logs.join(format!("deps-{}-{}.log", recipe.component, how.triple));
    remove_file_if_exists(&log)?;
    let step = format!("deps: {}", recipe.component);
    let mut objects = Vec::new();
    for file in recipe.sources {
        let object = format!("{}.o", file.trim_end_matches(".c"));
        Cmd::new(&compiler.cc[0], source, &compiler.env)
            .args(compiler.cc[1..].iter().cloned())
            .args(how.cflags.iter().copied())
            .args(recipe.defines.iter().copied())
            .args(["-c", file, "-o", &object])
            .run_logged(&step, &log)?;
        objects.push(object);
    }
    let library = prefix.join("lib").join(recipe.library);
    Cmd::new(&compiler.ar, source, &compiler.env)
        .arg("rcsD")
        .arg(library.display().to_string())
        .args(objects)
        .run_logged(&step, &log)?;
    for header in recipe.headers {
        fs::copy(source.join(header), prefix.join("include").join(header))?;
    }
    Ok(())
}

/// The toolchain, the source and the recipe with its flags: what decides the output.
pub fn cache_key(recipe: &Recipe, source_sha256: &str, how: &LibraryBuild) -> String {
    let mut hasher = Sha256::new();
    let fixed = [how.compiler.identity.as_str(), source_sha256, how.triple, recipe.library];
    let flags = recipe.sources.iter().chain(recipe.headers).chain(recipe.defines).chain(how.cflags);
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
        let how = LibraryBuild { compiler: &compiler, cflags, triple: "wasm32-wasip1", logs: Path::new("/l") };
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
