//! The hermetic environments of the build steps and what they are made of. Nothing of the
//! caller's environment leaks in: a user's CC, CFLAGS, PYTHONPATH or PKG_CONFIG_PATH cannot
//! change a build.

use std::path::{Path, PathBuf};

use super::BuildPlan;
use crate::process::Env;
use crate::workdir::{DirMap, WorkDir};

/// The environment shared by every step: the work dir's tool environment and the source's
/// SOURCE_DATE_EPOCH.
pub fn base(work: &WorkDir, plan: &BuildPlan) -> Env {
    let mut env = work.tool_env();
    env.insert("SOURCE_DATE_EPOCH".into(), plan.source.source_date_epoch.to_string());
    env
}

/// How the target build reaches its source, and what the guest sees. Inside the guest, every
/// directory sits at its own host path, and `/` (the starting directory, to which regrtest
/// returns) is an empty scratch directory; nothing else of the host is visible. With `--argv0`
/// naming the module by its path, the interpreter finds its stdlib the way a build tree does
/// (`pybuilddir.txt`, then VPATH and `Modules/Setup.local`).
pub struct SourceAccess {
    /// The configure script as the target's configure step calls it.
    pub configure: PathBuf,
    pub dirs: Vec<DirMap>,
}

/// The tree of the series is in the work dir (farm.rs in the patches stage), so configure runs by a relative
/// path: VPATH and every compiled-in path are relative, and the output does not depend on where
/// the work dir is, nor on where a checkout lives. The guest sees the work dir at its own path.
pub fn source_access(work: &WorkDir, plan: &BuildPlan) -> SourceAccess {
    let configure = plan.source.root.join("configure");
    let dirs = vec![
        DirMap { host: work.guest_root(), guest: "/".into() },
        DirMap { host: work.root.clone(), guest: work.root.display().to_string() },
    ];
    SourceAccess { configure: relative_path(&configure, &work.target_build), dirs }
}

/// The guest's `/`: an empty directory holding, for every directory mapped at its own path, the
/// chain of its parents down to an empty mount point. So `/var` and `/var/tmp` exist in the
/// guest as they do on the host (empty but for the way down), and `stat`, `realpath` and
/// `os.walk` see a consistent tree, as CPython's own runner gives them by mapping the checkout
/// at `/`.
pub fn make_guest_root(work: &WorkDir, plan: &BuildPlan) -> anyhow::Result<()> {
    let root = work.guest_root();
    fs_err::create_dir_all(&root)?;
    for dir in source_access(work, plan).dirs {
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
/// name changed between CPython lines), else the first.
pub fn module(work: &WorkDir, plan: &BuildPlan) -> PathBuf {
    let programs = plan.target.programs;
    let mut candidates = programs.iter().map(|name| work.target_build.join(name));
    candidates.find(|path| path.is_file()).unwrap_or_else(|| work.target_build.join(programs[0]))
}

/// The CONFIG_SITE file of the target: every line has one (its answers to the checks configure
/// cannot run when cross compiling); where it lives moved from line to line.
pub fn config_site(plan: &BuildPlan) -> anyhow::Result<PathBuf> {
    let candidates = plan.target.config_site;
    let root = &plan.source.root;
    candidates.iter().map(|s| root.join(s)).find(|p| p.is_file()).ok_or_else(|| {
        anyhow::anyhow!(
            "the CPython source at {} has no config.site for {} (looked for {}); configure cannot cross-compile without one: is this a CPython tree of 3.11 or later?",
            root.display(),
            plan.target.triple,
            candidates.join(", ")
        )
    })
}

/// A library as configure sees it: the prefix of its variables (`ZLIB` for ZLIB_CFLAGS and
/// ZLIB_LIBS), its include and library directories, and its link flag.
pub struct ConfigureLibrary {
    pub variable: &'static str,
    pub include: PathBuf,
    pub lib_dir: PathBuf,
    pub link: &'static str,
}

pub fn configure_libraries(plan: &BuildPlan) -> Vec<ConfigureLibrary> {
    plan.libraries
        .iter()
        .filter_map(|library| {
            let (variable, link) = match library.component.as_str() {
                "zlib" => ("ZLIB", "-lz"),
                "bzip2" => ("BZIP2", "-lbz2"),
                "libffi" => ("LIBFFI", "-lffi"),
                "mpdecimal" => ("LIBMPDEC", "-lmpdec"),
                "sqlite" => ("LIBSQLITE3", "-lsqlite3"),
                _ => return None,
            };
            let prefix = &library.prefix;
            Some(ConfigureLibrary { variable, include: prefix.join("include"), lib_dir: prefix.join("lib"), link })
        })
        .collect()
}

impl ConfigureLibrary {
    /// The variables configure reads the link flags from: `<NAME>_LIBS`, and for libmpdec also
    /// LIBMPDEC_LDFLAGS (what 3.11 and 3.12 read; later lines read LIBMPDEC_LIBS).
    pub fn libs_variables(&self) -> Vec<String> {
        let mut names = vec![format!("{}_LIBS", self.variable)];
        if self.variable == "LIBMPDEC" {
            names.push("LIBMPDEC_LDFLAGS".into());
        }
        names
    }
}

/// Each library's `<NAME>_CFLAGS` and link-flag variables, for the target's configure.
pub fn library_flags(plan: &BuildPlan) -> Env {
    let mut env = Env::new();
    for library in configure_libraries(plan) {
        env.insert(format!("{}_CFLAGS", library.variable), format!("-I{}", library.include.display()));
        for name in library.libs_variables() {
            env.insert(name, format!("-L{} {}", library.lib_dir.display(), library.link));
        }
    }
    env
}

/// Configure arguments the built libraries call for: `--with-system-libmpdec` (the default
/// from 3.13 on; 3.11 and 3.12 would otherwise use their bundled copy).
pub fn library_configure_args(plan: &BuildPlan) -> Vec<String> {
    let has = |name: &str| plan.libraries.iter().any(|l| l.component == name);
    let mut args = Vec::new();
    if has("mpdecimal") {
        args.push("--with-system-libmpdec".to_owned());
    }
    args
}

/// The target's CFLAGS plus prefix maps, so that debug information names neither the work dir
/// nor the toolchain's location and two work dirs produce the same bytes.
pub fn target_cflags(work: &WorkDir, plan: &BuildPlan) -> String {
    let toolchain = plan.toolchain.compiler_root();
    let maps = [
        format!("-ffile-prefix-map={}=/xtask-work", work.root.display()),
        format!("-ffile-prefix-map={}=/xtask-toolchains", toolchain.display()),
    ];
    plan.target.configure_cflags.iter().map(|f| f.to_string()).chain(maps).collect::<Vec<_>>().join(" ")
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
