//! The hermetic environments of the build steps and what they are made of. Nothing of the
//! caller's environment leaks in: a user's CC, CFLAGS, PYTHONPATH or PKG_CONFIG_PATH cannot
//! change a build.

use std::path::{Path, PathBuf};

use crate::deps::Library;
use crate::process::Env;
use crate::target::Target;
use crate::text::PathText;
use crate::workdir::{DirMap, PathMap, WorkDir};

/// The environment shared by every step: the work dir's tool environment and the source's
/// SOURCE_DATE_EPOCH.
pub fn base(work: &WorkDir, source_date_epoch: u64) -> Env {
    let mut env = work.tool_env();
    env.insert("SOURCE_DATE_EPOCH".into(), source_date_epoch.to_string());
    env
}

/// The configure script as the target's configure step calls it: the series tree is in the
/// work dir (farm.rs in the patches stage), so by a relative path. VPATH and every compiled-in
/// path are then relative, and the output does not depend on where the work dir is, nor on
/// where a checkout lives.
pub fn configure_script(work: &WorkDir, tree: &Path) -> PathBuf {
    relative_path(&tree.join("configure"), &work.target_build)
}

/// What a WASI guest sees: every directory at its own host path (the work dir, which holds the
/// series tree and the build directory), and `/` (the starting directory, to which regrtest
/// returns) an empty scratch directory; nothing else of the host. With `--argv0` naming the
/// module by its path, the interpreter finds its stdlib the way a build tree does
/// (`pybuilddir.txt`, then VPATH and `Modules/Setup.local`).
pub fn guest_dirs(work: &WorkDir) -> Vec<DirMap> {
    vec![
        DirMap { host: work.guest_root(), guest: "/".into() },
        DirMap { host: work.root.clone(), guest: work.root.plain() },
    ]
}

/// The guest's `/`: an empty directory holding, for every directory mapped at its own path, the
/// chain of its parents down to an empty mount point. So `/var` and `/var/tmp` exist in the
/// guest as they do on the host (empty but for the way down), and `stat`, `realpath` and
/// `os.walk` see a consistent tree, as CPython's own runner gives them by mapping the checkout
/// at `/`.
pub fn make_guest_root(work: &WorkDir, dirs: &[DirMap]) -> anyhow::Result<()> {
    let root = work.guest_root();
    fs_err::create_dir_all(&root)?;
    for dir in dirs {
        let inside = dir.guest.trim_start_matches('/');
        if !inside.is_empty() {
            fs_err::create_dir_all(root.join(inside))?;
        }
    }
    Ok(())
}

/// `path` relative to `from` (both absolute), with `..` as needed.
fn relative_path(path: &Path, from: &Path) -> PathBuf {
    let path: Vec<_> = path.components().collect();
    let from: Vec<_> = from.components().collect();
    let common = path.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for part in &path[common..] {
        relative.push(part);
    }
    relative
}

/// The interpreter file make produced: the first of the target's candidates that exists (the
/// name changed between CPython lines), else the first. A probe of the build, not a line fact.
pub fn module(work: &WorkDir, programs: &[&str]) -> PathBuf {
    let mut candidates = programs.iter().map(|name| work.target_build.join(name));
    candidates.find(|path| path.is_file()).unwrap_or_else(|| work.target_build.join(programs[0]))
}

/// The CONFIG_SITE file of the target: every line has one (its answers to the checks configure
/// cannot run when cross compiling); where it lives moved from line to line.
pub fn config_site(root: &Path, target: &Target) -> anyhow::Result<PathBuf> {
    let candidates = target.config_site;
    candidates.iter().map(|s| root.join(s)).find(|p| p.is_file()).ok_or_else(|| {
        anyhow::anyhow!(
            "the CPython source at {} has no config.site for {} (looked for {}); configure cannot cross-compile without one: is this a CPython tree of 3.11 or later?",
            root.shown(),
            target.name,
            candidates.join(", ")
        )
    })
}

/// Each library's `<NAME>_CFLAGS` and link-flag variables, for the target's configure.
pub fn library_flags(libraries: &[Library]) -> Env {
    let mut env = Env::new();
    for library in libraries {
        let facts = library.cpython;
        env.insert(format!("{}_CFLAGS", facts.variable), format!("-I{}", library.prefix.join("include").plain()));
        for name in libs_variables(library) {
            env.insert(name, format!("-L{} {}", library.prefix.join("lib").plain(), facts.link));
        }
    }
    env
}

/// The variables configure reads a library's link flags from: `<NAME>_LIBS` and its recipe's more.
pub fn libs_variables(library: &Library) -> Vec<String> {
    let facts = library.cpython;
    let more = facts.more_libs_variables.iter().map(|name| name.to_string());
    [format!("{}_LIBS", facts.variable)].into_iter().chain(more).collect()
}

/// Configure arguments the built libraries call for (their recipes say which).
pub fn library_configure_args(libraries: &[Library]) -> Vec<String> {
    libraries.iter().flat_map(|library| library.cpython.configure_args).map(|arg| arg.to_string()).collect()
}

/// The target's CFLAGS plus the build's prefix maps, so that debug information names neither the
/// work dir, the cache, the dependency builds nor the toolchain's location, and two work dirs
/// produce the same bytes.
///
/// A compiler cache (base_dir: the work dir) hands the compiler every path inside the work dir
/// relative to the build directory, so the view's directories (toolchains::view) also reach the
/// compiler as `../view/…`: those relative forms map to the same stable names, and a build
/// through the cache writes the bytes of one without it.
pub fn target_cflags(cflags: &[&str], paths: &PathMap, build: &Path) -> String {
    let maps = paths.prefix_map_flags();
    let relative = paths
        .inside_work()
        .into_iter()
        .map(|map| format!("-ffile-prefix-map={}={}", relative_path(&map.host, build).plain(), map.stable));
    cflags.iter().map(|f| f.to_string()).chain(maps).chain(relative).collect::<Vec<_>>().join(" ")
}

/// The environment as stable text (sorted `NAME=value` lines), for step keys.
pub fn key_text(env: &Env) -> String {
    env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_ancestor() {
        assert_eq!(
            relative_path(Path::new("/w/src/P/configure"), Path::new("/w/wasi")),
            Path::new("../src/P/configure")
        );
        assert_eq!(
            relative_path(Path::new("/c/configure"), Path::new("/c/cross-build/x")),
            Path::new("../../configure")
        );
    }

    #[test]
    fn key_text_is_sorted_name_value_lines() {
        let env = Env::from([("TZ".to_owned(), "UTC".to_owned()), ("HOME".to_owned(), "/h".to_owned())]);
        assert_eq!(key_text(&env), "HOME=/h\nTZ=UTC");
    }
}
