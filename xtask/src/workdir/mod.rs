//! The work dir of one bootstrap, and the run record in it. Shared by the stages that write the
//! work dir (source, patches, CPython build) and those that read it (run, test), so that none of
//! them reaches into another.
//!
//! ```text
//! WORK/src/Python-X.Y.Z/       the extracted release, never written after
//! WORK/trees/<series>/         the source as each patch series builds it: links to the source,
//!                              patched files as real files (`native`: the build Python's, unpatched)
//! WORK/build-python/           the native build Python
//! WORK/<target>/               the target build: the interpreter, python.sh, run.json and
//!                              inputs.json (every input of the build: inputs.rs)
//! WORK/emscripten/.emscripten  the emscripten config written for this work dir
//! WORK/home/                   HOME of every build step
//! WORK/logs/<step>.log         the full output of every step (the target's in logs/<target>/)
//! WORK/stamps/                 one stamp per step (the target's in stamps/<target>/), and per
//!                              series tree its patch stamp and file listing
//! WORK/.lock                   held by the bootstrap that uses the work dir
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::files;
use crate::process::{shell_join, system_env, Env};
use crate::target::Target;
use crate::text::printable_path;
use crate::text::PathText;
pub use inputs::{BuildInputs, EpochFrom, PatchPin, PathMap, Pin, SourceInput};
pub use record::{DirMap, DirSyntax, RunRecord, RunnerCommand};

mod inputs;
mod record;

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

    /// Holds the work dir for one bootstrap (or patch run) until dropped; a second one waits,
    /// saying so.
    /// Then checks the work dir's own directories (see [`WorkDir::check_own_dirs`]).
    pub fn lock(&self) -> anyhow::Result<crate::once::Lock> {
        let held =
            crate::once::lock(&self.root.join(".lock"), &format!("the work dir {}", printable_path(&self.root)))?;
        self.check_own_dirs()?;
        Ok(held)
    }

    /// The directories this tool makes inside the work dir and writes into, for every target.
    fn own_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.sources(), self.trees(), self.series_tree(NATIVE_SERIES).root, self.emscripten_dir()];
        dirs.extend([self.build_python.clone(), self.home(), self.logs.clone(), self.stamps.clone()]);
        let view = self.view();
        dirs.extend([crate::toolchains::view::toolchains_view(&view), view.join("host-bin"), view]);
        for target in crate::target::ALL {
            let of = WorkDir::new(&self.root, target);
            dirs.extend([of.web_bundle(), of.extension_dir(), of.guest_root(), of.target_build]);
            dirs.extend([self.logs.join(target.name), self.stamps.join(target.name)]);
            dirs.push(self.series_tree(target.toolchain.series_name()).root);
        }
        dirs
    }

    /// Each of the work dir's own directories is absent or a real directory: a symbolic link (or
    /// a file) at one of those names would have logs, stamps or builds written wherever it leads.
    /// The work dir itself may be a link (to a bigger disk, say).
    pub fn check_own_dirs(&self) -> anyhow::Result<()> {
        for dir in self.own_dirs() {
            match dir.symlink_metadata() {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) => bail!(
                    "{} is {}, not a directory this tool made; nothing is written through it: remove it and run again",
                    printable_path(&dir),
                    if meta.file_type().is_symlink() { "a symbolic link" } else { "a file" }
                ),
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Where release sources are extracted.
    pub fn sources(&self) -> PathBuf {
        self.root.join("src")
    }

    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// The build's view of its toolchain and libraries (toolchains::view).
    pub fn view(&self) -> PathBuf {
        self.root.join("view")
    }

    /// The patch stamp of the versions of this tool that patched the source in place.
    pub fn in_place_patch_stamp(&self) -> PathBuf {
        self.stamps.join("patches.json")
    }

    /// The source tree of a patch series (`wasi`, `emscripten`, or `native` for the build Python).
    pub fn series_tree(&self, series: &str) -> SeriesTree {
        SeriesTree {
            root: self.trees().join(series),
            stamp: self.stamps.join(format!("patches-{series}.json")),
            listing: self.stamps.join(format!("tree-{series}.json")),
        }
    }

    fn trees(&self) -> PathBuf {
        self.root.join("trees")
    }

    /// Where the emscripten config of this work dir is written.
    fn emscripten_dir(&self) -> PathBuf {
        self.root.join("emscripten")
    }

    pub fn emscripten_config(&self) -> PathBuf {
        self.emscripten_dir().join(".emscripten")
    }

    /// The empty directory a WASI guest sees as `/`.
    pub fn guest_root(&self) -> PathBuf {
        self.target_build.join("guest-root")
    }

    /// The browser target's web bundle: what `serve` serves.
    pub fn web_bundle(&self) -> PathBuf {
        self.target_build.join("web")
    }

    /// Where the side module of the emscripten targets is built.
    pub fn extension_dir(&self) -> PathBuf {
        self.target_build.join("xtask-ext")
    }

    /// The interpreter's launcher script, which `sys.executable` names.
    pub fn python_sh(&self) -> PathBuf {
        self.target_build.join("python.sh")
    }

    pub fn run_record_path(&self) -> PathBuf {
        self.target_build.join("run.json")
    }

    /// The build's input record (inputs.rs), written after the run record.
    pub fn inputs_path(&self) -> PathBuf {
        self.target_build.join("inputs.json")
    }

    pub fn write_inputs(&self, inputs: &BuildInputs) -> anyhow::Result<()> {
        files::write_atomic(&self.inputs_path(), serde_json::to_vec_pretty(inputs)?)
    }

    pub fn read_inputs(&self) -> anyhow::Result<BuildInputs> {
        let path = self.inputs_path();
        let text = read_own_file(&path)?.with_context(|| {
            format!(
                "no record of the build's inputs in {}: bootstrap this target again with this version",
                printable_path(&self.target_build)
            )
        })?;
        serde_json::from_slice(&text).with_context(|| {
            format!("{} is not a record this tool wrote: bootstrap this target again", printable_path(&path))
        })
    }

    /// The environment of every tool this work dir runs, probes included: the system PATH, a C
    /// locale, UTC and a HOME inside the work dir. Nothing of the caller's environment.
    pub fn tool_env(&self) -> Env {
        let mut env = system_env();
        env.insert("HOME".into(), self.home().plain());
        env
    }
}

/// Where a patch series' source tree lives, and its patch stamp and file listing.
#[derive(Debug, Clone)]
pub struct SeriesTree {
    pub root: PathBuf,
    pub stamp: PathBuf,
    pub listing: PathBuf,
}

/// The series name of the build Python's tree: no patches.
pub const NATIVE_SERIES: &str = "native";

/// The log of `step` in `dir`: `DIR/<step, dashed>.log`.
pub fn log_in(dir: &Path, step: &str) -> PathBuf {
    dir.join(format!("{}.log", step.replace([' ', '/'], "-")))
}

impl WorkDir {
    /// Writes `python.sh` and then the run record, both atomically.
    pub fn write_run_record(&self, record: &RunRecord) -> anyhow::Result<()> {
        let script = self.python_sh();
        let text =
            format!("#!/bin/sh\nexec {} \"$@\"\n", shell_join(&record.runner.program, &record.runner.launch_args()));
        files::write_atomic_mode(&script, text, 0o755)?;
        files::write_atomic(&self.run_record_path(), serde_json::to_vec_pretty(record)?)
    }

    pub fn read_run_record(&self) -> anyhow::Result<RunRecord> {
        let path = self.run_record_path();
        let bytes = read_own_file(&path)?.with_context(|| {
            format!(
                "no build found at {} (missing {}); run `cargo xtask bootstrap` first",
                printable_path(&self.target_build),
                printable_path(&path)
            )
        })?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!("{} is not a record this tool wrote: bootstrap this target again", printable_path(&path))
        })
    }
}

/// The most a stamp or record of the work dir may hold.
const RECORD_LIMIT: u64 = 16 << 20;

/// A stamp or record this tool wrote into the work dir: `None` when absent. A symbolic link, a
/// directory or a special file at its name is one line saying to remove it: the tool writes
/// these files through a rename, so nothing but a regular file is ever its own.
pub fn read_own_file(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match path.symlink_metadata() {
        Err(_) => Ok(None),
        Ok(meta) if meta.is_file() => files::read_regular(path, RECORD_LIMIT),
        Ok(meta) => bail!(
            "{} is {}, not a file this tool wrote: remove it and run again",
            printable_path(path),
            if meta.file_type().is_symlink() { "a symbolic link" } else { "a directory or special file" }
        ),
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
        let runner = RunnerCommand {
            program: "/w/wasmtime".into(),
            args: vec!["run".into()],
            module: "/b/p.wasm".into(),
            entry: vec![],
            dirs: vec![DirMap { host: "/w/root".into(), guest: "/".into() }],
            dir_syntax: DirSyntax::Dir,
        };
        let record = RunRecord {
            target: &crate::target::WASI,
            python: "3.13".into(),
            source: "/s".into(),
            origin: "/c".into(),
            runner,
            compiler_cache: None,
        };
        work.write_run_record(&record).unwrap();
        assert_eq!(work.read_run_record().unwrap().runner.module, Path::new("/b/p.wasm"));
        let script = fs::read_to_string(work.target_build.join("python.sh")).unwrap();
        assert_eq!(script, "#!/bin/sh\nexec /w/wasmtime run --dir=/w/root::/ /b/p.wasm \"$@\"\n");
        // Run by a user in /home/u: the guest starts there and sees it at its own path.
        let runner = work.read_run_record().unwrap().runner.started_in(Path::new("/home/u"));
        assert_eq!(runner.launch_args(), ["run", "--dir=/home/u::/", "--dir=/home/u::/home/u", "/b/p.wasm"]);
    }

    #[test]
    fn an_entry_is_started_instead_of_the_module_and_old_records_have_none() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path(), &crate::target::EMSCRIPTEN_NODE);
        let runner = RunnerCommand {
            program: "/n/node".into(),
            args: vec!["--experimental-wasm-jspi".into()],
            module: "/b/python.mjs".into(),
            entry: vec!["/b/node_entry.mjs".into(), "--this-program=/b/python.sh".into()],
            dirs: vec![],
            dir_syntax: DirSyntax::Dir,
        };
        assert_eq!(runner.started_in(Path::new("/home/u")).launch_args(), runner.launch_args());
        assert_eq!(
            runner.launch_args(),
            ["--experimental-wasm-jspi", "/b/node_entry.mjs", "--this-program=/b/python.sh"]
        );
        let record = RunRecord {
            target: &crate::target::EMSCRIPTEN_NODE,
            python: "3.14".into(),
            source: "/s".into(),
            origin: "/s".into(),
            runner,
            compiler_cache: None,
        };
        work.write_run_record(&record).unwrap();
        let script = fs::read_to_string(work.python_sh()).unwrap();
        assert_eq!(
            script,
            "#!/bin/sh\nexec /n/node --experimental-wasm-jspi /b/node_entry.mjs --this-program=/b/python.sh \"$@\"\n"
        );
        // A record written before entries existed still reads, and starts its module.
        let old = r#"{"target":"emscripten-node","python":"3.13","source":"/s",
            "runner":{"program":"/n/node","args":[],"module":"/b/python.js"}}"#;
        fs::write(work.run_record_path(), old).unwrap();
        assert_eq!(work.read_run_record().unwrap().runner.launch_args(), ["/b/python.js"]);
        let unknown = old.replace("\"emscripten-node\"", "\"emscripten-riscv\"");
        fs::write(work.run_record_path(), unknown).unwrap();
        let error = format!("{:#}", work.read_run_record().unwrap_err());
        assert!(error.contains("`emscripten-riscv` is not a target of this version"), "{error}");
    }

    #[test]
    fn a_second_holder_of_the_work_dir_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path(), &crate::target::WASI);
        let held = work.lock().unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(dir.path().join(".lock")).unwrap();
        assert!(file.try_lock().is_err(), "the lock is held while the first holder lives");
        drop(held);
        assert!(file.try_lock().is_ok());
    }

    #[test]
    fn tools_see_only_the_work_dir_environment() {
        let work = WorkDir::new(Path::new("/w"), &crate::target::WASI);
        let env = work.tool_env();
        assert_eq!(env.keys().collect::<Vec<_>>(), ["HOME", "LC_ALL", "PATH", "TZ"]);
        assert_eq!(env["HOME"], "/w/home");
    }
}
