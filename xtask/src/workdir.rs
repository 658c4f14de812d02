//! The work dir of one bootstrap, and the run record in it. Shared by the stages that write the
//! work dir (source, patches, CPython build) and those that read it (run, test), so that none of
//! them reaches into another.
//!
//! ```text
//! WORK/src/Python-X.Y.Z/       the extracted release (a checkout is used in place)
//! WORK/build-python/           the native build Python
//! WORK/<target>/               the target build: the interpreter, python.sh, run.json
//! WORK/emscripten/.emscripten  the emscripten config written for this work dir
//! WORK/home/                   HOME of every build step
//! WORK/logs/<step>.log         the full output of every step
//! WORK/stamps/                 one stamp per step, and patches.json
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::files;
use crate::process::{shell_join, shell_quote, system_env, Env};
use crate::target::Target;

#[derive(Debug, Clone)]
pub struct WorkDir {
    pub root: PathBuf,
    pub build_python: PathBuf,
    /// Where configure and make run for the target (`WORK/<target name>`).
    pub target_build: PathBuf,
    pub logs: PathBuf,
    pub stamps: PathBuf,
}

impl WorkDir {
    pub fn new(root: &Path, target: &Target) -> WorkDir {
        WorkDir {
            root: root.to_owned(),
            build_python: root.join("build-python"),
            target_build: root.join(target.name),
            logs: root.join("logs"),
            stamps: root.join("stamps"),
        }
    }

    pub fn log(&self, step: &str) -> PathBuf {
        self.logs.join(format!("{}.log", step.replace([' ', '/'], "-")))
    }

    /// Where release sources are extracted.
    pub fn sources(&self) -> PathBuf {
        self.root.join("src")
    }

    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    pub fn patch_stamp(&self) -> PathBuf {
        self.stamps.join("patches.json")
    }

    pub fn emscripten_config(&self) -> PathBuf {
        self.root.join("emscripten").join(".emscripten")
    }

    /// The empty directory a WASI guest sees as `/`.
    pub fn guest_root(&self) -> PathBuf {
        self.target_build.join("guest-root")
    }

    pub fn run_record_path(&self) -> PathBuf {
        self.target_build.join("run.json")
    }

    /// The environment of every tool this work dir runs, probes included: the system PATH, a C
    /// locale, UTC and a HOME inside the work dir. Nothing of the caller's environment.
    pub fn tool_env(&self) -> Env {
        let mut env = system_env();
        env.insert("HOME".into(), self.home().display().to_string());
        env
    }
}

/// The runner command line (wasmtime or node and their flags) and the interpreter module.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunnerCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The interpreter module.
    pub module: PathBuf,
}

impl RunnerCommand {
    /// The runner without the module, as HOSTRUNNER takes it.
    pub fn command_line(&self) -> String {
        shell_join(&self.program, &self.args)
    }
}

/// What `run` and `test` need to find a build again: written last by the build.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub target: String,
    pub python: String,
    pub source: PathBuf,
    pub runner: RunnerCommand,
}

impl WorkDir {
    /// Writes `python.sh` and then the run record, both atomically.
    pub fn write_run_record(&self, record: &RunRecord) -> anyhow::Result<()> {
        let script = self.target_build.join("python.sh");
        let text = format!(
            "#!/bin/sh\nexec {} {} \"$@\"\n",
            record.runner.command_line(),
            shell_quote(&record.runner.module.display().to_string())
        );
        files::write_atomic_mode(&script, text, 0o755)?;
        files::write_atomic(&self.run_record_path(), serde_json::to_vec_pretty(record)?)
    }

    pub fn read_run_record(&self) -> anyhow::Result<RunRecord> {
        let path = self.run_record_path();
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "no build found at {} (missing {}); run `cargo xtask bootstrap` first",
                self.target_build.display(),
                path.display()
            )
        })?;
        serde_json::from_slice(&bytes).with_context(|| format!("parse {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fs_err as fs;

    #[test]
    fn a_run_record_is_read_back_and_a_missing_one_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path(), &crate::target::WASI);
        let err = work.read_run_record().unwrap_err().to_string();
        assert!(err.contains("run `cargo xtask bootstrap` first"), "{err}");
        let runner =
            RunnerCommand { program: "/w/wasmtime".into(), args: vec!["run".into()], module: "/b/p.wasm".into() };
        let record = RunRecord { target: "wasi".into(), python: "3.13".into(), source: "/s".into(), runner };
        work.write_run_record(&record).unwrap();
        assert_eq!(work.read_run_record().unwrap().runner.module, Path::new("/b/p.wasm"));
        let script = fs::read_to_string(work.target_build.join("python.sh")).unwrap();
        assert_eq!(script, "#!/bin/sh\nexec /w/wasmtime run /b/p.wasm \"$@\"\n");
    }

    #[test]
    fn tools_see_only_the_work_dir_environment() {
        let work = WorkDir::new(Path::new("/w"), &crate::target::WASI);
        let env = work.tool_env();
        assert_eq!(env.keys().collect::<Vec<_>>(), ["HOME", "LC_ALL", "PATH", "TZ"]);
        assert_eq!(env["HOME"], "/w/home");
    }
}
