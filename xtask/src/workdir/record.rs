//! The run record and the runner command in it: what `run` and `test` need to find a build
//! again, written last by the build.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::process::shell_join;
use crate::target::Target;
use crate::text::PathText;

/// A host directory made visible to a WASI guest at `guest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirMap {
    pub host: PathBuf,
    pub guest: String,
}

/// How a wasmtime CLI era spells a directory map.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DirSyntax {
    /// `--dir=HOST::GUEST` (wasmtime 14 on).
    #[default]
    Dir,
    /// `--mapdir=GUEST::HOST` (before 14).
    Mapdir,
}

impl DirSyntax {
    pub fn render(self, dir: &DirMap) -> String {
        match self {
            DirSyntax::Dir => format!("--dir={}::{}", dir.host.plain(), dir.guest),
            DirSyntax::Mapdir => format!("--mapdir={}::{}", dir.guest, dir.host.plain()),
        }
    }
}

/// The runner command line (wasmtime or node and their flags) and the interpreter module.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunnerCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The directories a WASI guest sees, given after `args`; `/` is the directory it starts in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<DirMap>,
    #[serde(default)]
    pub dir_syntax: DirSyntax,
    /// The interpreter module.
    pub module: PathBuf,
    /// What the runner starts instead of the module, when the module is not a program itself:
    /// from 3.14 on, `python.mjs` is an ES module that CPython's `node_entry.mjs` loads, run as
    /// `node_entry.mjs --this-program=python.sh`. Empty: the runner starts the module.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<String>,
}

impl RunnerCommand {
    /// The runner without the module, as HOSTRUNNER takes it.
    pub fn command_line(&self) -> String {
        shell_join(&self.program, &self.flags())
    }

    fn flags(&self) -> Vec<String> {
        let dirs = self.dirs.iter().map(|dir| self.dir_syntax.render(dir));
        self.args.iter().cloned().chain(dirs).collect()
    }

    /// The runner's arguments before the interpreter's own: its flags, then the entry or the
    /// module.
    pub fn launch_args(&self) -> Vec<String> {
        let start = match self.entry.is_empty() {
            true => vec![self.module.plain()],
            false => self.entry.clone(),
        };
        self.flags().into_iter().chain(start).collect()
    }

    /// The runner for a user in `dir`: a WASI guest starts in it (it is the guest's `/`, as
    /// CPython's own runner maps the checkout) and sees it at its own path too, so both
    /// `hello.py` and `/path/to/hello.py` open. Runners that start in the caller's directory
    /// (Node) are returned as they are.
    pub fn started_in(&self, dir: &Path) -> RunnerCommand {
        let mut runner = self.clone();
        if runner.dirs.is_empty() {
            return runner;
        }
        let own = DirMap { host: dir.to_owned(), guest: dir.plain() };
        for map in runner.dirs.iter_mut().filter(|map| map.guest == "/") {
            map.host = dir.to_owned();
        }
        if !runner.dirs.contains(&own) {
            runner.dirs.push(own);
        }
        runner
    }
}

/// What `run` and `test` need to find a build again: written last by the build.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunRecord {
    #[serde(with = "crate::target::as_name")]
    pub target: &'static Target,
    /// The CPython line (`3.13`).
    pub python: String,
    /// The tree the build used (the work dir's tree of its patch series).
    pub source: PathBuf,
    /// Where that tree came from: the extracted release, or the checkout given.
    #[serde(default)]
    pub origin: PathBuf,
    pub runner: RunnerCommand,
    /// The compiler cache the build used (`--compiler-cache`), if any.
    #[serde(default)]
    pub compiler_cache: Option<crate::compiler_cache::CacheRecord>,
}
