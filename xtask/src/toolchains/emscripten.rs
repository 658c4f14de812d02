//! Emscripten from an emsdk release archive, activated without emsdk.
//!
//! Release layout (`wasm-binaries.tar.xz`, top directory `install/`): `bin/` holds clang, wasm-ld
//! and binaryen's tools; `emscripten/` holds emcc and `emscripten-version.txt`. emsdk's `activate`
//! writes a `.emscripten` config naming LLVM, binaryen and Node; `write_config` does the same for
//! one work dir, and `env` points emcc at it, so no file in the user's home is read or written.
//! emcc's own cache (the sysroot and the system libraries it builds on demand) stays inside the
//! install, as with emsdk: it depends only on the release.

use std::path::{Path, PathBuf};

use anyhow::bail;
use fs_err as fs;

use super::node::Node;
use crate::files;
use crate::process::Env;
use crate::text::PathText;

#[derive(Debug, Clone)]
pub struct Emscripten {
    /// The release's `install/` directory.
    pub root: PathBuf,
    /// From `emscripten/emscripten-version.txt`.
    pub version: String,
    /// The `.emscripten` config written for this work dir.
    pub config: PathBuf,
}

impl Emscripten {
    /// Opens a release tree and checks that its version is the pinned one.
    pub fn open(root: &Path, pinned: Option<&str>, why_pinned: &str, config: &Path) -> anyhow::Result<Emscripten> {
        for required in ["bin/clang", "bin/wasm-ld", "bin/wasm-opt", "emscripten/emcc"] {
            if !root.join(required).exists() {
                bail!(
                    "{} is not an emscripten release: `{required}` is missing; expected emsdk's wasm-binaries layout (install/bin, install/emscripten) for emscripten {}",
                    root.shown(),
                    pinned.unwrap_or("")
                );
            }
        }
        let version_file = root.join("emscripten/emscripten-version.txt");
        let text = fs::read_to_string(&version_file)?;
        let version = text.trim().trim_matches('"').to_owned();
        if let Some(pinned) = pinned.filter(|p| *p != version) {
            bail!(
                "the emscripten release at {} is version {version}, but {why_pinned} pins emscripten {pinned}; install the pinned release or fix the manifest",
                root.shown()
            );
        }
        Ok(Emscripten { root: root.to_owned(), version, config: config.to_owned() })
    }

    pub fn identity(&self) -> String {
        format!("emscripten {}", self.version)
    }

    pub fn emcc_dir(&self) -> PathBuf {
        self.root.join("emscripten")
    }

    pub fn tool(&self, name: &str) -> PathBuf {
        self.emcc_dir().join(name)
    }

    /// Writes the `.emscripten` config (atomically, only when its text changes).
    pub fn write_config(&self, node: &Node) -> anyhow::Result<()> {
        let text = config_text(&self.root, &node.binary);
        if std::fs::read_to_string(&self.config).ok().as_deref() == Some(text.as_str()) {
            return Ok(());
        }
        files::write_atomic(&self.config, text)
    }

    /// What every emcc and emconfigure call needs: emcc and Node first on PATH (emcc runs on the
    /// python3 found there), and the config.
    pub fn env(&self, node: &Node, base: &Env) -> Env {
        let mut env = base.clone();
        let path = base.get("PATH").cloned().unwrap_or_default();
        let node_dir = node.binary.parent().unwrap_or(Path::new("/"));
        env.insert("PATH".into(), format!("{}:{}:{path}", self.emcc_dir().plain(), node_dir.plain()));
        env.insert("EM_CONFIG".into(), self.config.plain());
        // emcc downloads a port (zlib, bzip2, sqlite3, …) when a flag asks for one that is not
        // in its cache. Every library comes from the dependency stage instead, and this makes
        // sure: a download through emcc's Python (urllib) goes to a closed local port and fails.
        for name in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"] {
            env.insert(name.into(), NO_NETWORK.into());
        }
        env.insert("no_proxy".into(), String::new());
        env.insert("NO_PROXY".into(), String::new());
        env
    }

    /// Where emcc keeps the ports it downloads (inside the cache that config_text names).
    pub fn ports_dir(&self) -> PathBuf {
        cache_dir(&self.root).join("ports")
    }

    /// The ports emcc downloaded into its cache, if any (there must be none).
    pub fn downloaded_ports(&self) -> Vec<String> {
        let names = std::fs::read_dir(self.ports_dir()).into_iter().flatten().flatten();
        names.map(|e| e.file_name().to_string_lossy().into_owned()).collect()
    }
}

/// emcc's cache (its sysroot, system libraries and ports), inside the release as with emsdk.
fn cache_dir(root: &Path) -> PathBuf {
    root.join("emscripten/cache")
}

/// A proxy that refuses every connection (the discard port on loopback, which nothing serves).
const NO_NETWORK: &str = "http://127.0.0.1:9";

fn config_text(root: &Path, node: &Path) -> String {
    let quote = |p: &Path| format!("'{}'", p.plain().replace('\\', "\\\\").replace('\'', "\\'"));
    format!(
        "# Written by cargo xtask bootstrap for emscripten in {root}.\n\
         LLVM_ROOT = {llvm}\n\
         BINARYEN_ROOT = {binaryen}\n\
         NODE_JS = {node}\n\
         CACHE = {cache}\n\
         FROZEN_CACHE = False\n",
        root = root.shown(),
        llvm = quote(&root.join("bin")),
        binaryen = quote(root),
        node = quote(node),
        cache = quote(&cache_dir(root)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(dir: &Path, version: &str) {
        for file in ["bin/clang", "bin/wasm-ld", "bin/wasm-opt", "emscripten/emcc"] {
            std::fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
            std::fs::write(dir.join(file), "").unwrap();
        }
        std::fs::write(dir.join("emscripten/emscripten-version.txt"), format!("\"{version}\"\n")).unwrap();
    }

    #[test]
    fn opens_the_pinned_version_and_refuses_another() {
        let dir = tempfile::tempdir().unwrap();
        release(dir.path(), "3.1.58");
        let config = dir.path().join("work/.emscripten");
        let found = Emscripten::open(dir.path(), Some("3.1.58"), "CPython 3.13", &config).unwrap();
        assert_eq!(found.identity(), "emscripten 3.1.58");
        let err = Emscripten::open(dir.path(), Some("4.0.12"), "CPython 3.14", &config).unwrap_err().to_string();
        assert!(err.contains("is version 3.1.58") && err.contains("pins emscripten 4.0.12"), "{err}");
        std::fs::remove_file(dir.path().join("bin/wasm-opt")).unwrap();
        let err = Emscripten::open(dir.path(), Some("3.1.58"), "CPython 3.13", &config).unwrap_err().to_string();
        assert!(err.contains("`bin/wasm-opt` is missing"), "{err}");
    }

    #[test]
    fn config_names_the_release_tools_and_node() {
        let text = config_text(Path::new("/c/em"), Path::new("/c/node/bin/node"));
        assert!(text.contains("LLVM_ROOT = '/c/em/bin'\n"), "{text}");
        assert!(text.contains("BINARYEN_ROOT = '/c/em'\n"), "{text}");
        assert!(text.contains("NODE_JS = '/c/node/bin/node'\n"), "{text}");
        assert!(text.contains("CACHE = '/c/em/emscripten/cache'\n"), "{text}");
    }
}
