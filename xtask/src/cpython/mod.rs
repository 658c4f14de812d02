//! The CPython build stage: a native build Python, then configure and make for the target, each
//! step skipped when its inputs are unchanged; then the run record that `run` and `test` read.
//!
//! Steps (their names are CPython's own: `host` is autoconf's --host, the target):
//! `configure build python`, `make build python`, `configure host`, `make host`, then the
//! driver's own (emscripten: `extension`, and for the browser `web bundle`). The step engine is
//! steps.rs, the configure command configure.rs; what differs between toolchain families is a
//! [`Driver`]: wasi.rs and emscripten/.

mod configure;
mod emscripten;
mod env;
mod extension;
mod seed;
mod stamp;
mod steps;
mod wasi;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::compiler_cache::CompilerCache;
use crate::deps::Library;
use crate::line::Profile;
use crate::process::{Cmd, Env};
use crate::source::SourceTree;
use crate::target::Target;
use crate::text::PathText;
use crate::toolchains::Toolchain;
use crate::workdir::{PathMap, RunRecord, RunnerCommand, WorkDir};
use seed::Seeds;
use stamp::Stamps;
pub use steps::StepReport;
use steps::{ConfigureMake, Place, Steps};

/// Everything configure and make need, resolved by the earlier stages.
pub struct BuildPlan<'a> {
    pub target: &'static Target,
    /// The source as the target's patch series has it, and unpatched for the build Python: both
    /// trees of the work dir, never the user's checkout.
    pub source: &'a SourceTree,
    pub native: &'a SourceTree,
    /// The source line's row of `line.rs`.
    pub profile: &'static Profile,
    pub toolchain: &'a Toolchain,
    pub libraries: &'a [Library],
    pub jobs: usize,
    /// Extra arguments for the target's configure (`--configure-arg`).
    pub configure_args: &'a [String],
    /// The host directories the build sees and their stable names in its outputs.
    pub paths: &'a PathMap,
    /// The compiler cache, if the build uses one (compiler_cache/).
    pub cache: Option<&'a CompilerCache>,
    /// Where configure seeds are kept (seed.rs): `CACHE/configure`.
    pub seeds: PathBuf,
}

/// What a toolchain family does around the shared configure and make steps.
trait Driver {
    /// The interpreter's runner, as HOSTRUNNER and the run record name it.
    fn runner(&self) -> RunnerCommand;
    /// configure's environment for `runner`: the compiler, its tools and the libraries' flags.
    fn configure_env(&self, runner: &RunnerCommand) -> Env;
    /// What starts configure in `dir` (`/bin/sh`, or emconfigure wrapping it).
    fn configure_program(&self, dir: &Path, env: &Env) -> Cmd;
    /// What the compiler cache needs in the target's steps besides its settings (emscripten:
    /// the wrapper emcc runs its clang through; the WASI SDK's view wraps its own).
    fn cached_env(&self, _cache: &CompilerCache) -> Env {
        Env::new()
    }
    /// Arguments only this family's configure takes.
    fn configure_args(&self) -> anyhow::Result<Vec<String>>;
    /// Before make: what the build directory needs (nothing, unless the family says).
    fn before_make(&self) -> anyhow::Result<()> {
        Ok(())
    }
    /// Variables for make, read from the Makefile configure wrote in `build` (none, unless the
    /// family says).
    fn make_vars(&self, _build: &Path) -> anyhow::Result<Vec<String>> {
        Ok(vec![])
    }
    /// After make: the family's own checks and steps; returns the runner the record keeps.
    fn after_make(
        &self,
        steps: &mut Steps,
        host_key: &str,
        make_env: &Env,
        runner: RunnerCommand,
    ) -> anyhow::Result<RunnerCommand>;
}

pub fn build(work: &WorkDir, plan: &BuildPlan) -> anyhow::Result<StepReport> {
    fs_err::create_dir_all(work.home())?;
    let marker = plan.source.root.join("Modules/Setup.local");
    if !marker.exists() {
        crate::files::write_atomic(&marker, "# Created by cargo xtask bootstrap (marks a WASI build tree).\n")?;
    }
    // The build Python is shared by every target of the work dir; the target's steps keep their
    // stamps and logs apart, so that two targets built in one work dir do not undo each other.
    let shared = Place { stamps: Stamps::new(&work.stamps), logs: work.logs.clone() };
    let seeds = Seeds { dir: plan.seeds.clone(), paths: plan.paths };
    let (cache, base_dir) = (plan.cache, work.root.clone());
    let mut steps = Steps { place: shared, report: StepReport::default(), jobs: plan.jobs, cache, base_dir, seeds };
    let base = env::base(work, plan.source.source_date_epoch);
    let build_python_keys = build_python(&mut steps, work, plan, &base)?;
    let name = plan.target.name;
    steps.place = Place { stamps: Stamps::new(&work.stamps.join(name)), logs: work.logs.join(name) };
    let driver: Box<dyn Driver + '_> = match plan.toolchain {
        Toolchain::Wasi { sdk, wasmtime } => Box::new(wasi::Wasi::new(work, plan, sdk, wasmtime, base.clone())),
        Toolchain::Emscripten { emscripten, node } => {
            Box::new(emscripten::Emscripten::new(work, plan, emscripten, node, base.clone()))
        }
    };
    build_target(&mut steps, work, plan, driver.as_ref(), &build_python_keys, &base)?;
    Ok(steps.report)
}

/// The keys of a step: its stamp's, and its configure seed's (the same inputs without the host
/// directories).
struct Keys {
    step: String,
    seed: String,
}

/// The native build Python from the unpatched tree; returns its configure keys, which the
/// target's build on. Its seed is also keyed by the host compiler, which the step key leaves out.
fn build_python(steps: &mut Steps, work: &WorkDir, plan: &BuildPlan, env: &Env) -> anyhow::Result<Keys> {
    let native = plan.native;
    let configure = native.root.join("configure");
    let bytes = crate::files::read_regular(&configure, 64 << 20)?;
    let bytes = bytes.with_context(|| format!("{} has no configure script", native.root.shown()))?;
    let configure_digest = crate::files::sha256_reader(&mut bytes.as_slice())?;
    let at = configure.plain();
    let parts = ["configure build python", &native.identity, &at, &configure_digest, &env::key_text(env)];
    let parts: Vec<String> = parts.iter().map(|part| part.to_string()).collect();
    let key = stamp::key(&parts);
    let host_compiler = Cmd::new("cc", &work.root, env).arg("--version").read().unwrap_or_default();
    let seed_key = steps.seeds.key(&parts, &[&configure], &host_compiler)?;
    let cached_env = match plan.cache {
        Some(cache) => crate::toolchains::view::host_compilers(&work.view(), cache)?,
        None => Env::new(),
    };
    let command = Cmd::new(&configure, &work.build_python, env).arg("-C");
    let (dir, tree) = (&work.build_python, &native.root);
    let keys = Keys { step: key.clone(), seed: seed_key.clone() };
    let job = ConfigureMake { what: "build python", dir, tree, configure: command, key, seed_key, cached_env };
    steps.configure_and_make(job, |_| Ok(vec![]))?;
    Ok(keys)
}

/// configure and make for the target through its driver, then the run record.
fn build_target(
    steps: &mut Steps,
    work: &WorkDir,
    plan: &BuildPlan,
    driver: &dyn Driver,
    build_python: &Keys,
    base: &Env,
) -> anyhow::Result<()> {
    let runner = driver.runner();
    let configure = configure::command(work, plan, driver, &runner, base)?;
    let identity = plan.toolchain.identity();
    let parts = ["configure host", &build_python.step, &configure.plain(), &env::key_text(&configure.env), &identity];
    let library_keys = plan.libraries.iter().map(|library| library.key.clone());
    let mut parts: Vec<String> = parts.iter().map(|part| part.to_string()).chain(library_keys).collect();
    let key = stamp::key(&parts);
    // The seed's: the build Python by its seed key, which names no host directory.
    parts[1] = build_python.seed.clone();
    let site = configure.env.get("CONFIG_SITE").map(PathBuf::from).unwrap_or_default();
    let script = plan.source.root.join("configure");
    let seed_key = steps.seeds.key(&parts, &[&script, &site], "")?;
    let cached_env = plan.cache.map(|cache| driver.cached_env(cache)).unwrap_or_default();
    let make_env = steps::make_env(&configure.env);
    driver.before_make()?;
    let make_vars = |dir: &Path| driver.make_vars(dir);
    let (dir, tree) = (&work.target_build, &plan.source.root);
    let job = ConfigureMake { what: "host", dir, tree, configure, key: key.clone(), seed_key, cached_env };
    steps.configure_and_make(job, make_vars)?;
    let runner = RunnerCommand { module: env::module(work, plan.target.programs), ..runner };
    let runner = driver.after_make(steps, &key, &make_env, runner)?;
    let source = plan.source;
    let record = RunRecord {
        target: plan.target,
        python: source.line.to_string(),
        source: source.root.clone(),
        origin: source.origin.clone(),
        runner,
        compiler_cache: plan.cache.map(CompilerCache::record),
    };
    work.write_run_record(&record)
}
