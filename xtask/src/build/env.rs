//! The hermetic environments of the build steps, and the WASI runner. Nothing of the caller's
//! environment leaks in: a user's CC, CFLAGS, PYTHONPATH or PKG_CONFIG_PATH cannot change a build.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::source::SourceTree;
use super::target::Target;
use super::{Inputs, Layout};
use crate::process::{shell_join, shell_quote};
use crate::toolchains::wasmtime::DirMap;

pub const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The environment shared by every step (HOME is created by `build::build`).
pub fn base(layout: &Layout, source: &SourceTree) -> BTreeMap<String, String> {
    let home = home(layout);
    [
        ("PATH", SYSTEM_PATH.to_owned()),
        ("HOME", home.display().to_string()),
        ("LC_ALL", "C".to_owned()),
        ("TZ", "UTC".to_owned()),
        ("SOURCE_DATE_EPOCH", source.source_date_epoch.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

pub fn home(layout: &Layout) -> PathBuf {
    layout.work.join("home")
}

/// The runner command line (wasmtime or node and their flags, without the module).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunnerSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The interpreter module.
    pub module: PathBuf,
}

impl RunnerSpec {
    pub fn command_line(&self) -> String {
        shell_join(&self.program, &self.args)
    }
}

/// How the target build reaches its source, and what the guest sees. Inside the guest, every
/// directory sits at its own host path, and `/` (the starting directory, to which regrtest
/// returns) is an empty scratch directory; nothing else of the host is visible. With `--argv0`
/// naming the module by its path, the interpreter finds its stdlib the way a build tree does
/// (`pybuilddir.txt`, then VPATH and `Modules/Setup.local`).
pub struct SourceAccess {
    /// The configure script as the host configure step calls it.
    pub configure: PathBuf,
    pub dirs: Vec<DirMap>,
}

/// A release extracted into the work dir is configured by a relative path, so VPATH and every
/// compiled-in path are relative and the output does not depend on where the work dir is; the
/// guest then sees the work dir, which holds both trees. A checkout elsewhere is configured by
/// its absolute path and mapped next to the build directory.
pub fn source_access(layout: &Layout, source: &SourceTree) -> SourceAccess {
    let root = guest_root(layout);
    let at_own_path = |dir: &Path| DirMap { host: dir.to_owned(), guest: dir.display().to_string() };
    let mut dirs = vec![DirMap { host: root, guest: "/".into() }];
    let configure = source.root.join("configure");
    if source.root.starts_with(&layout.work) {
        dirs.push(at_own_path(&layout.work));
        SourceAccess { configure: relative_path(&configure, &layout.host), dirs }
    } else {
        dirs.push(at_own_path(&source.root));
        dirs.push(at_own_path(&layout.host));
        SourceAccess { configure, dirs }
    }
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

pub fn guest_root(layout: &Layout) -> PathBuf {
    layout.host.join("guest-root")
}

/// The interpreter file make produced: the first of the target's candidates that exists (the
/// name changed between CPython lines), else the first.
pub fn module(layout: &Layout, target: &Target) -> PathBuf {
    let mut candidates = target.programs.iter().map(|name| layout.host.join(name));
    let first = layout.host.join(target.programs[0]);
    candidates.find(|path| path.is_file()).unwrap_or(first)
}

/// The CONFIG_SITE file of the target, if this line has one.
pub fn config_site(inputs: &Inputs) -> Option<PathBuf> {
    inputs.target.config_site.iter().map(|s| inputs.source.root.join(s)).find(|p| p.is_file())
}

/// A dependency as configure sees it: the prefix of its variables (`ZLIB` for ZLIB_CFLAGS and
/// ZLIB_LIBS), its include and library directories, and its link flag.
pub struct DepLibrary {
    pub variable: &'static str,
    pub include: PathBuf,
    pub lib_dir: PathBuf,
    pub link: &'static str,
}

pub fn dep_libraries(inputs: &Inputs) -> Vec<DepLibrary> {
    inputs
        .deps
        .iter()
        .filter_map(|built| {
            let (variable, link) = match built.component.as_str() {
                "zlib" => ("ZLIB", "-lz"),
                "bzip2" => ("BZIP2", "-lbz2"),
                _ => return None,
            };
            Some(DepLibrary {
                variable,
                include: built.prefix.join("include"),
                lib_dir: built.prefix.join("lib"),
                link,
            })
        })
        .collect()
}

/// Each dependency's `<NAME>_CFLAGS` and `<NAME>_LIBS`, for the host configure.
pub fn dep_flags(inputs: &Inputs) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for library in dep_libraries(inputs) {
        env.insert(format!("{}_CFLAGS", library.variable), format!("-I{}", library.include.display()));
        env.insert(format!("{}_LIBS", library.variable), format!("-L{} {}", library.lib_dir.display(), library.link));
    }
    env
}

/// The target's CFLAGS plus prefix maps, so that debug information names neither the work dir
/// nor the toolchain's location and two work dirs produce the same bytes.
pub fn host_cflags(layout: &Layout, inputs: &Inputs) -> String {
    let toolchain = inputs.tools.compiler_root();
    let maps = [
        format!("-ffile-prefix-map={}=/xtask-work", layout.work.display()),
        format!("-ffile-prefix-map={}=/xtask-toolchains", toolchain.display()),
    ];
    inputs.target.configure_cflags.iter().map(|f| f.to_string()).chain(maps).collect::<Vec<_>>().join(" ")
}

/// A stable text of an environment, for step keys.
pub fn describe(env: &BTreeMap<String, String>) -> String {
    env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n")
}

/// What `run` and `test` need to find the build again: written last by bootstrap.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub target: String,
    pub python: String,
    pub source: PathBuf,
    pub runner: RunnerSpec,
}

pub fn write_runner_files(layout: &Layout, inputs: &Inputs, runner: &RunnerSpec) -> anyhow::Result<()> {
    if inputs.target.runner == super::target::Runner::Wasmtime {
        let root = guest_root(layout);
        fs::create_dir_all(&root).with_context(|| format!("create {}", root.display()))?;
    }
    let script = layout.host.join("python.sh");
    let text = format!(
        "#!/bin/sh\nexec {} {} \"$@\"\n",
        runner.command_line(),
        shell_quote(&runner.module.display().to_string())
    );
    fs::write(&script, text).with_context(|| format!("write {}", script.display()))?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755))?;
    let record = RunRecord {
        target: inputs.target.name.to_owned(),
        python: inputs.source.line.to_string(),
        source: inputs.source.root.clone(),
        runner: runner.clone(),
    };
    let path = layout.host.join("run.json");
    let temp = path.with_extension("json.tmp");
    fs::write(&temp, serde_json::to_vec_pretty(&record)?)?;
    fs::rename(&temp, &path).with_context(|| format!("write {}", path.display()))
}

pub fn read_run_record(layout: &Layout) -> anyhow::Result<RunRecord> {
    let path = layout.host.join("run.json");
    let bytes = fs::read(&path).with_context(|| {
        format!(
            "no build found at {} (missing {}); run `cargo xtask bootstrap` first",
            layout.host.display(),
            path.display()
        )
    })?;
    serde_json::from_slice(&bytes).with_context(|| format!("parse {}", path.display()))
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
}
