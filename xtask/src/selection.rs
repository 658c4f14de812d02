//! The flags that several commands share, turned into the values the stages take: the target,
//! the work dir, the source choice, the user's own tools and the patch directory. Commands call
//! these; no command calls another.

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::flags::{BuildSelection, ForBuild, SourceSelection, TargetFlag};
use crate::source::{PythonLine, SourceChoice};
use crate::target::{self, Target};
use crate::text::PathText;
use crate::toolchains::Overrides;
use crate::workdir::{RunRecord, WorkDir};

impl TargetFlag {
    /// The one target named; `all` is refused (only bootstrap takes it, through `targets`).
    pub fn target(self) -> anyhow::Result<&'static Target> {
        match self {
            TargetFlag::Wasi => Ok(&target::WASI),
            TargetFlag::EmscriptenNode => Ok(&target::EMSCRIPTEN_NODE),
            TargetFlag::EmscriptenBrowser => Ok(&target::EMSCRIPTEN_BROWSER),
            TargetFlag::All => anyhow::bail!(
                "`--target all` is for bootstrap; name one target here (wasi, emscripten-node or emscripten-browser)"
            ),
        }
    }
}

impl ForBuild {
    /// The artifacts a build of these targets and this source needs; `None` without `--target`.
    pub fn needs(&self, context: &Context) -> anyhow::Result<Option<Vec<crate::plan::Need>>> {
        if self.targets.is_empty() {
            return Ok(None);
        }
        let targets = targets_of(&self.targets)?;
        let selection = SourceSelection {
            target: TargetFlag::Wasi,
            threads: false,
            python: self.python.clone(),
            python_source: self.python_source.clone(),
            work_dir: None,
        };
        let choice = selection.source_choice(context)?;
        let fetcher = context.fetcher()?;
        let (manifest, machine) = (&context.manifest, context.machine.as_str());
        crate::plan::needs(&choice, &targets, manifest, machine, &fetcher, &Overrides::default()).map(Some)
    }
}

/// The targets of repeated `--target` flags, `all` as every built one, each once.
pub fn targets_of(flags: &[TargetFlag]) -> anyhow::Result<Vec<&'static Target>> {
    let mut targets: Vec<&'static Target> = Vec::new();
    for flag in flags {
        let more = match flag {
            TargetFlag::All => target::BUILT.to_vec(),
            one => vec![one.target()?],
        };
        targets.extend(more.into_iter().filter(|t| !targets.iter().any(|k| k.name == t.name)).collect::<Vec<_>>());
    }
    Ok(targets)
}

/// `--work-dir`, else `target/bootstrap` in the workspace.
pub fn work_root(flag: &Option<PathBuf>, context: &Context) -> PathBuf {
    match flag {
        Some(dir) => context.absolute(dir),
        None => context.workspace.join("target/bootstrap"),
    }
}

impl crate::flags::Serve {
    /// The directory to serve: `--dir`, else the target's web bundle in the work dir.
    pub fn bundle(&self, context: &Context) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &self.dir {
            return Ok(context.absolute(dir));
        }
        let target = match self.target {
            crate::flags::ServeTarget::EmscriptenBrowser => &target::EMSCRIPTEN_BROWSER,
        };
        let work = WorkDir::new(&work_root(&self.work_dir, context), target);
        work.check_own_dirs()?;
        let bundle = work.web_bundle();
        if !bundle.is_dir() {
            anyhow::bail!(
                "no web bundle at {}: build it with `cargo xtask bootstrap --target emscripten-browser` (same --work-dir), or serve a directory with --dir DIR",
                bundle.shown()
            );
        }
        Ok(bundle)
    }
}

impl SourceSelection {
    /// The one target selected, with `--threads` applied.
    pub fn target(&self) -> anyhow::Result<&'static Target> {
        let target = self.target.target()?;
        if !self.threads {
            return Ok(target);
        }
        match target.threads_variant.and_then(target::by_name) {
            Some(variant) => Ok(variant),
            None => {
                anyhow::bail!("--threads builds the pthreads variant of emscripten-node; `{}` has none", target.name)
            }
        }
    }

    /// The targets bootstrap builds, in order: `all` is every one of them.
    pub fn targets(&self) -> anyhow::Result<Vec<&'static Target>> {
        match self.target {
            TargetFlag::All if self.threads => anyhow::bail!("--threads goes with --target emscripten-node, not all"),
            TargetFlag::All => Ok(target::BUILT.to_vec()),
            _ => Ok(vec![self.target()?]),
        }
    }

    /// The work dir of `target`: `--work-dir`, else `target/bootstrap` in the workspace.
    pub fn work_dir_for(&self, context: &Context, target: &Target) -> WorkDir {
        WorkDir::new(&work_root(&self.work_dir, context), target)
    }

    /// The work dir of the one target selected.
    pub fn work_dir(&self, context: &Context) -> anyhow::Result<WorkDir> {
        Ok(self.work_dir_for(context, self.target()?))
    }

    /// The build of the work dir, checked against the source asked for: a work dir holds one
    /// build per target, and `--python`/`--python-source` name which one `run` and `test` mean.
    pub fn recorded_build(&self, context: &Context) -> anyhow::Result<(WorkDir, RunRecord)> {
        self.recorded_build_of(context, self.target()?)
    }

    /// [`Self::recorded_build`] of one of the targets selected. No build, or another one, is an
    /// input error (exit 3): the command line names what is not there.
    pub fn recorded_build_of(&self, context: &Context, target: &Target) -> anyhow::Result<(WorkDir, RunRecord)> {
        use crate::exit::{Failure, TagResult};
        self.find_recorded_build(context, target).tagged(Failure::Input)
    }

    fn find_recorded_build(&self, context: &Context, target: &Target) -> anyhow::Result<(WorkDir, RunRecord)> {
        let work = self.work_dir_for(context, target);
        work.check_own_dirs()?;
        let record = work.read_run_record()?;
        let built = format!("CPython {} from {}", record.python, record.origin.shown());
        let hint = "bootstrap it first, or pass the --work-dir it was built in";
        if let Some(dir) = &self.python_source {
            let asked = context.absolute(dir);
            if asked != record.origin {
                anyhow::bail!(
                    "{} holds the {} build of {built}, not of {}: {hint}",
                    work.root.shown(),
                    record.target.name,
                    asked.shown()
                );
            }
        }
        if let Some(text) = &self.python {
            let (line, _) = PythonLine::parse_version(text)?;
            if line.to_string() != record.python {
                anyhow::bail!(
                    "{} holds the {} build of {built}, not of CPython {text}: {hint}",
                    work.root.shown(),
                    record.target.name
                );
            }
        }
        Ok((work, record))
    }

    pub fn source_choice(&self, context: &Context) -> anyhow::Result<SourceChoice> {
        Ok(match (&self.python_source, &self.python) {
            (Some(dir), _) => SourceChoice::Checkout(context.absolute(dir)),
            (None, Some(text)) => match PythonLine::parse_version(text)? {
                (line, Some(version)) => SourceChoice::Version(line, version),
                (line, None) => SourceChoice::Release(Some(line)),
            },
            (None, None) => SourceChoice::Release(None),
        })
    }
}

impl BuildSelection {
    pub fn overrides(&self, context: &Context) -> Overrides {
        let absolute = |path: &Option<PathBuf>| path.as_deref().map(|p| context.absolute(p));
        Overrides {
            wasi_sdk: absolute(&self.wasi_sdk),
            wasmtime: absolute(&self.wasmtime),
            emscripten: absolute(&self.emscripten),
            node: absolute(&self.node),
        }
    }
}

/// `--patches DIR`, else `patches/` in the workspace.
pub fn patches_dir(context: &Context, flag: Option<&Path>) -> PathBuf {
    match flag {
        Some(dir) => context.absolute(dir),
        None => context.workspace.join("patches"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(target: TargetFlag, threads: bool) -> SourceSelection {
        SourceSelection { target, threads, python: None, python_source: None, work_dir: None }
    }

    #[test]
    fn all_is_every_built_target_and_only_bootstrap_takes_it() {
        let names: Vec<_> = selection(TargetFlag::All, false).targets().unwrap().iter().map(|t| t.name).collect();
        assert_eq!(names, ["wasi", "emscripten-node", "emscripten-browser"]);
        let error = selection(TargetFlag::All, false).target().err().unwrap().to_string();
        assert!(error.contains("`--target all` is for bootstrap"), "{error}");
    }

    #[test]
    fn threads_is_a_variant_of_the_node_target_only() {
        assert_eq!(selection(TargetFlag::EmscriptenNode, true).target().unwrap().name, "emscripten-node-threads");
        for other in [TargetFlag::Wasi, TargetFlag::EmscriptenBrowser] {
            let error = selection(other, true).target().err().unwrap().to_string();
            assert!(error.contains("--threads builds the pthreads variant of emscripten-node"), "{error}");
        }
        assert!(selection(TargetFlag::All, true).targets().is_err());
    }
}
