//! Dependencies built for each target: zlib and bzip2, static and PIC.
//!
//! A recipe is data: the library's sources and headers. Each build goes to
//! `CACHE/deps/<triple>/<name>-<version>-<key[..16]>/` (include/ and lib/), where the key hashes the
//! toolchain, the source sha256 and the recipe with its flags. An unchanged key is never rebuilt,
//! not even from a fresh work dir.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::fetch::{extract, Fetcher};
use crate::manifest::Manifest;
use crate::process::Cmd;

pub struct Recipe {
    /// The manifest component holding the source.
    pub component: &'static str,
    pub library: &'static str,
    pub sources: &'static [&'static str],
    pub headers: &'static [&'static str],
    /// What the library's own configure would define.
    pub defines: &'static [&'static str],
}

pub const ZLIB: Recipe = Recipe {
    component: "zlib",
    library: "libz.a",
    sources: &[
        "adler32.c",
        "compress.c",
        "crc32.c",
        "deflate.c",
        "gzclose.c",
        "gzlib.c",
        "gzread.c",
        "gzwrite.c",
        "infback.c",
        "inffast.c",
        "inflate.c",
        "inftrees.c",
        "trees.c",
        "uncompr.c",
        "zutil.c",
    ],
    headers: &["zlib.h", "zconf.h"],
    // zlib's configure defines this where unistd.h exists; gzlib.c needs lseek from it.
    defines: &["-DHAVE_UNISTD_H"],
};

pub const BZIP2: Recipe = Recipe {
    component: "bzip2",
    library: "libbz2.a",
    sources: &["blocksort.c", "huffman.c", "crctable.c", "randtable.c", "compress.c", "decompress.c", "bzlib.c"],
    headers: &["bzlib.h"],
    defines: &[],
};

/// How to compile for one target.
pub struct Compiler {
    pub cc: Vec<String>,
    pub ar: PathBuf,
    pub cflags: Vec<String>,
    pub triple: String,
    /// Identifies the toolchain in the cache key.
    pub identity: String,
    pub env: BTreeMap<String, String>,
}

/// A built library: its prefix holds include/ and lib/.
#[derive(Debug, Clone)]
pub struct Built {
    pub component: String,
    pub prefix: PathBuf,
    pub key: String,
}

pub fn build(
    recipe: &Recipe,
    fetcher: &Fetcher,
    manifest: &Manifest,
    host: &str,
    compiler: &Compiler,
    logs: &Path,
) -> anyhow::Result<Built> {
    let artifact = manifest.any_component(recipe.component, host)?;
    let key = cache_key(recipe, &artifact.sha256, compiler);
    let root = fetcher.cache().root.join("deps").join(&compiler.triple);
    let prefix = root.join(format!("{}-{}-{}", recipe.component, artifact.version, &key[..16]));
    let built = Built { component: recipe.component.to_owned(), prefix: prefix.clone(), key: key.clone() };
    if prefix.join(".built").exists() {
        return Ok(built);
    }
    let fetched = fetcher.fetch(&artifact)?;
    let _lock = fetcher.cache().lock(&artifact)?;
    if prefix.join(".built").exists() {
        return Ok(built);
    }
    eprintln!("deps: building {artifact} for {}", compiler.triple);
    fs::create_dir_all(&root)?;
    let work = tempfile::Builder::new().prefix(".build-").tempdir_in(&root)?;
    let source = work.path().join("src");
    extract::extract(&fetched.path, artifact.format, artifact.strip.as_deref(), &source)?;
    let staged = work.path().join("prefix");
    fs::create_dir_all(staged.join("include"))?;
    fs::create_dir_all(staged.join("lib"))?;
    let log = logs.join(format!("deps-{}-{}.log", recipe.component, compiler.triple));
    let _ = fs::remove_file(&log);
    let step = format!("deps: {}", recipe.component);
    let mut objects = Vec::new();
    for file in recipe.sources {
        let object = format!("{}.o", file.trim_end_matches(".c"));
        Cmd::new(&compiler.cc[0], &source, &compiler.env)
            .args(compiler.cc[1..].iter().cloned())
            .args(compiler.cflags.iter().cloned())
            .args(recipe.defines.iter().copied())
            .args(["-c", file, "-o", &object])
            .run_logged(&step, &log)?;
        objects.push(object);
    }
    let library = staged.join("lib").join(recipe.library);
    Cmd::new(&compiler.ar, &source, &compiler.env)
        .arg("rcsD")
        .arg(library.display().to_string())
        .args(objects)
        .run_logged(&step, &log)?;
    for header in recipe.headers {
        fs::copy(source.join(header), staged.join("include").join(header))
            .with_context(|| format!("install {header}"))?;
    }
    fs::write(staged.join(".built"), format!("{key}\n"))?;
    fs::rename(&staged, &prefix).with_context(|| format!("move the build into {}", prefix.display()))?;
    Ok(built)
}

/// The toolchain, the source and the recipe with its flags: what decides the output.
pub fn cache_key(recipe: &Recipe, source_sha256: &str, compiler: &Compiler) -> String {
    let mut hasher = Sha256::new();
    for part in [compiler.identity.as_str(), source_sha256, &compiler.triple, recipe.library] {
        hasher.update(part);
        hasher.update([0]);
    }
    for part in recipe
        .sources
        .iter()
        .chain(recipe.headers)
        .chain(recipe.defines)
        .map(|s| s.to_string())
        .chain(compiler.cflags.iter().cloned())
    {
        hasher.update(part);
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiler(flags: &[&str]) -> Compiler {
        Compiler {
            cc: vec!["clang".into()],
            ar: "llvm-ar".into(),
            cflags: flags.iter().map(|f| f.to_string()).collect(),
            triple: "wasm32-wasip1".into(),
            identity: "wasi-sdk 24.0".into(),
            env: BTreeMap::new(),
        }
    }

    #[test]
    fn key_changes_with_flags_source_and_toolchain_only() {
        let base = cache_key(&ZLIB, "aa", &compiler(&["-O2", "-fPIC"]));
        assert_eq!(base, cache_key(&ZLIB, "aa", &compiler(&["-O2", "-fPIC"])));
        assert_ne!(base, cache_key(&ZLIB, "bb", &compiler(&["-O2", "-fPIC"])));
        assert_ne!(base, cache_key(&ZLIB, "aa", &compiler(&["-O2"])));
        let mut other = compiler(&["-O2", "-fPIC"]);
        other.identity = "wasi-sdk 25.0".into();
        assert_ne!(base, cache_key(&ZLIB, "aa", &other));
        assert_ne!(base, cache_key(&BZIP2, "aa", &compiler(&["-O2", "-fPIC"])));
    }
}
