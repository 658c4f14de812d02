//! The work dir's view of what the build compiles with: `WORK/view/toolchains/<SDK>` (the WASI
//! SDK, through links) and `WORK/view/deps` (a link to the cache's dependency builds). Not
//! emscripten: emcc resolves links to its cache, where its sysroot is. The build
//! names the compiler, the sysroot and the libraries' headers by these paths, so every path a
//! compile sees is inside the work dir: the compiler cache hashes them relative to the build
//! directory (compiler_cache/), and two machines with different cache dirs share objects.
//!
//! With a compiler cache the view's `clang` and `clang++` are two-line scripts running the SDK's
//! own through ccache; without, links to them. The path the build names is the same either way,
//! so the cache changes nothing the build writes.

use std::path::{Path, PathBuf};

use fs_err as fs;

use super::wasi_sdk::WasiSdk;
use crate::compiler_cache::CompilerCache;
use crate::deps::Library;
use crate::process::shell_quote;
use crate::text::PathText;

/// The compilers a compiler cache wraps (the rest of `bin/` is linked as it is).
const CACHED: [&str; 2] = ["clang", "clang++"];

/// The WASI SDK as the build sees it: `view/toolchains/<its directory name>`, made again on
/// every run (links only; the SDK is not copied).
pub fn wasi_sdk(view: &Path, sdk: &WasiSdk, cache: Option<&CompilerCache>) -> anyhow::Result<WasiSdk> {
    let name = sdk.root.file_name().map(PathBuf::from).unwrap_or_else(|| "wasi-sdk".into());
    let dir = view.join("toolchains").join(name);
    let staging = dir.with_extension("new");
    remove_dir_if_exists(&staging)?;
    fs::create_dir_all(staging.join("bin"))?;
    for entry in fs::read_dir(&sdk.root)? {
        let entry = entry?;
        if entry.file_name() != "bin" {
            std::os::unix::fs::symlink(entry.path(), staging.join(entry.file_name()))?;
        }
    }
    for entry in fs::read_dir(sdk.root.join("bin"))? {
        let entry = entry?;
        let at = staging.join("bin").join(entry.file_name());
        match cache {
            Some(cache) if CACHED.iter().any(|c| entry.file_name() == *c) => {
                let script = format!(
                    "#!/bin/sh\n# The WASI SDK's compiler through the compiler cache (cargo xtask bootstrap).\nexec {} {} \"$@\"\n",
                    shell_quote(&cache.program.plain()),
                    shell_quote(&entry.path().plain())
                );
                fs::write(&at, script)?;
                fs::set_permissions(&at, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
            }
            _ => std::os::unix::fs::symlink(entry.path(), &at)?,
        }
    }
    remove_dir_if_exists(&dir)?;
    fs::rename(&staging, &dir)?;
    Ok(WasiSdk { root: dir, ..sdk.clone() })
}

/// The libraries as the build sees them: `view/deps` links to the cache's `deps/`, and each
/// library's prefix is named through it.
pub fn libraries(view: &Path, deps_root: &Path, libraries: &[Library]) -> anyhow::Result<Vec<Library>> {
    fs::create_dir_all(view)?;
    let link = deps_view(view);
    if fs::symlink_metadata(&link).is_ok() {
        fs::remove_file(&link)?;
    }
    std::os::unix::fs::symlink(deps_root, &link)?;
    let seen = |library: &Library| {
        let inside = library.prefix.strip_prefix(deps_root).map(|p| link.join(p));
        Library { prefix: inside.unwrap_or_else(|_| library.prefix.clone()), ..library.clone() }
    };
    Ok(libraries.iter().map(seen).collect())
}

/// The host's C compiler through the compiler cache, for the build Python: `view/host-bin`
/// holds `cc` and `gcc` as links to ccache, which (run by those names) runs the next `cc` or
/// `gcc` on PATH. Returns the PATH the build Python's steps get.
pub fn host_compilers(view: &Path, cache: &CompilerCache) -> anyhow::Result<crate::process::Env> {
    let dir = view.join("host-bin");
    fs::create_dir_all(&dir)?;
    for name in ["cc", "gcc"] {
        let link = dir.join(name);
        if fs::symlink_metadata(&link).is_ok() {
            fs::remove_file(&link)?;
        }
        std::os::unix::fs::symlink(&cache.program, &link)?;
    }
    let path = format!("{}:{}", dir.plain(), crate::process::SYSTEM_PATH);
    Ok(crate::process::Env::from([("PATH".to_owned(), path)]))
}

/// Where the view keeps toolchains and the deps link.
pub fn toolchains_view(view: &Path) -> PathBuf {
    view.join("toolchains")
}

pub fn deps_view(view: &Path) -> PathBuf {
    view.join("deps")
}

fn remove_dir_if_exists(dir: &Path) -> anyhow::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(fs::remove_dir_all(dir)?),
        Ok(_) => Ok(fs::remove_file(dir)?),
        Err(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk(root: &Path) -> WasiSdk {
        for file in ["bin/clang", "bin/clang++", "bin/llvm-ar", "share/wasi-sysroot/x.h"] {
            fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            fs::write(root.join(file), "#!/bin/sh\n").unwrap();
        }
        WasiSdk { root: root.to_owned(), version: "24.0".into(), clang: "clang 19".into() }
    }

    #[test]
    fn the_view_links_the_sdk_and_wraps_only_the_compilers_with_a_cache() {
        let dir = tempfile::tempdir().unwrap();
        let sdk = sdk(&dir.path().join("cache/wasi-sdk-24"));
        let view = dir.path().join("work/view");
        let plain = wasi_sdk(&view, &sdk, None).unwrap();
        assert_eq!(plain.root, view.join("toolchains/wasi-sdk-24"));
        assert!(fs::symlink_metadata(plain.root.join("bin/clang")).unwrap().is_symlink());
        assert!(plain.sysroot().join("x.h").is_file());
        let cache = CompilerCache { program: "/usr/bin/ccache".into(), dir: dir.path().join("cc"), remote: None };
        let wrapped = wasi_sdk(&view, &sdk, Some(&cache)).unwrap();
        assert_eq!(wrapped.root, plain.root, "the same path with and without the cache");
        let script = fs::read_to_string(wrapped.root.join("bin/clang")).unwrap();
        assert!(script.contains("exec /usr/bin/ccache") && script.contains("cache/wasi-sdk-24/bin/clang"), "{script}");
        assert!(fs::symlink_metadata(wrapped.root.join("bin/llvm-ar")).unwrap().is_symlink());
        assert!(!view.join("toolchains/wasi-sdk-24.new").exists());
    }
}
