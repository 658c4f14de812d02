//! The WASI SDK: clang, wasm-ld and a wasi-libc sysroot.
//!
//! Release layout: `wasi-sdk-N.0-linux` (≤22) or `wasi-sdk-N.0-x86_64-linux` (≥23) holding
//! `bin/clang`, `share/wasi-sysroot` and, from SDK 25, a `VERSION` file. SDKs are neither forward
//! nor backward compatible, so an SDK whose major version differs from the pin is refused.

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::major;
use crate::process::{Cmd, Env};
use crate::text::PathText;

#[derive(Debug, Clone)]
pub struct WasiSdk {
    pub root: PathBuf,
    /// The SDK's own version: its VERSION file, else the pin it was installed from.
    pub version: String,
    /// What `clang --version` printed first.
    pub clang: String,
}

impl WasiSdk {
    /// Opens an SDK tree, checks its layout and that its major version is `pinned`'s.
    pub fn open(root: &Path, pinned: Option<&str>, why_pinned: &str, probe_env: &Env) -> anyhow::Result<WasiSdk> {
        for required in ["bin/clang", "bin/llvm-ar", "share/wasi-sysroot"] {
            if !root.join(required).exists() {
                bail!(
                    "{} is not a WASI SDK: `{required}` is missing; pass --wasi-sdk with the root of wasi-sdk-{} (the directory holding bin/ and share/)",
                    root.shown(),
                    pinned.map_or("N", major)
                );
            }
        }
        let version = sdk_version(root);
        match (&version, pinned) {
            (_, None) => {}
            (Some(found), Some(pinned)) if major(found) != major(pinned) => bail!(
                "the WASI SDK at {} is version {found}, but {why_pinned} pins WASI SDK {}; SDKs are not compatible across versions: install wasi-sdk-{} or drop --wasi-sdk/WASI_SDK_PATH to use the pinned one",
                root.shown(),
                major(pinned),
                major(pinned)
            ),
            (Some(_), _) => {}
            (None, Some(pinned)) => eprintln!(
                "warning: cannot tell the version of the WASI SDK at {} (no VERSION file, unusual directory name); {why_pinned} expects {pinned}",
                root.shown()
            ),
        }
        let clang = Cmd::new(root.join("bin/clang"), root, probe_env).arg("--version").read()?;
        let clang = clang.lines().next().unwrap_or_default().trim().to_owned();
        Ok(WasiSdk {
            root: root.to_owned(),
            version: version.or(pinned.map(str::to_owned)).unwrap_or_else(|| "unknown".into()),
            clang,
        })
    }

    pub fn sysroot(&self) -> PathBuf {
        self.root.join("share/wasi-sysroot")
    }

    pub fn bin(&self, tool: &str) -> PathBuf {
        self.root.join("bin").join(tool)
    }

    /// A compiler command with the sysroot, as CPython's own WASI scripts pass it.
    pub fn compiler(&self, tool: &str) -> String {
        format!("{} --sysroot={}", self.bin(tool).plain(), self.sysroot().plain())
    }

    /// Identifies the toolchain in cache keys.
    pub fn identity(&self) -> String {
        format!("wasi-sdk {} / {}", self.version, self.clang)
    }
}

/// The version from the VERSION file (SDK ≥ 25) or from a `wasi-sdk-N.M…` directory name.
fn sdk_version(root: &Path) -> Option<String> {
    if let Ok(text) = std::fs::read_to_string(root.join("VERSION")) {
        return text.split_whitespace().next().map(str::to_owned);
    }
    let name = root.file_name()?.to_str()?;
    let rest = name.strip_prefix("wasi-sdk-")?;
    let version: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    (!version.is_empty()).then(|| version.trim_end_matches('.').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn version_comes_from_the_file_or_the_directory_name() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("wasi-sdk-21.0");
        fs::create_dir(&old).unwrap();
        assert_eq!(sdk_version(&old).as_deref(), Some("21.0"));
        let new = dir.path().join("wasi-sdk-25.0-x86_64-linux");
        fs::create_dir(&new).unwrap();
        fs::write(new.join("VERSION"), "25.0\nwasi-libc: 574b88d\n").unwrap();
        assert_eq!(sdk_version(&new).as_deref(), Some("25.0"));
        assert_eq!(sdk_version(Path::new("/opt/sdk")), None);
    }

    #[test]
    fn a_different_major_version_is_refused_with_the_expected_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("wasi-sdk-27.0-x86_64-linux");
        for sub in ["bin", "share/wasi-sysroot"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        for tool in ["clang", "llvm-ar"] {
            fs::write(root.join("bin").join(tool), "").unwrap();
        }
        fs::write(root.join("VERSION"), "27.0\n").unwrap();
        let err = WasiSdk::open(&root, Some("24.0"), "CPython 3.13", &Env::new()).unwrap_err().to_string();
        assert!(err.contains("is version 27.0") && err.contains("pins WASI SDK 24"), "{err}");
    }
}
