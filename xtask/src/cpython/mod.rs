//! The CPython build stage: a native build Python, then configure and make for the target, each
//! step skipped when its inputs are unchanged; then the run record that `run` and `test` read.
//!
//! Steps (their names are CPython's own: `host` is autoconf's --host, the target):
//! `configure build python`, `make build python`, `configure host`, `make host`.

mod emscripten;
mod env;
mod extension;
mod stamp;
mod wasi;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use fs_err as fs;

use crate::deps::Library;
use crate::files::{self, remove_file_if_exists, sha256_file};
use crate::process::Cmd;
use crate::process::Env;
use crate::source::{fingerprint, SourceTree};
use crate::target::Runner;
use crate::target::Target;
use crate::toolchains::Toolchain;
use crate::workdir::{RunRecord, RunnerCommand, WorkDir};
use stamp::Stamps;

/// Everything configure and make need, resolved by the earlier stages.
pub struct BuildPlan<'a> {
    pub target: &'static Target,
    /// The source as the target's patch series has it, and unpatched for the build Python: both
    /// trees of the work dir, never the user's checkout.
    pub source: &'a SourceTree,
    pub native: &'a SourceTree,
    /// The source line's row of `line.rs`.
    pub profile: &'static crate::line::Profile,
    pub toolchain: &'a Toolchain,
    pub libraries: &'a [Library],
    pub jobs: usize,
    /// Extra arguments for the target's configure (`--configure-arg`).
    pub configure_args: &'a [String],
}

/// Which steps ran and which were up to date.
#[derive(Debug, Default)]
pub struct StepReport {
    pub ran: Vec<String>,
    pub skipped: Vec<String>,
}

pub fn build(work: &WorkDir, plan: &BuildPlan) -> anyhow::Result<StepReport> {
    fs::create_dir_all(work.home())?;
    let marker = plan.source.root.join("Modules/Setup.local");
    if !marker.exists() {
        files::write_atomic(&marker, "# Created by cargo xtask bootstrap (marks a WASI build tree).\n")?;
    }
    // The build Python is shared by every target of the work dir; the target's steps keep their
    // stamps and logs apart, so that two targets built in one work dir do not undo each other.
    let shared = Place { stamps: Stamps::new(&work.stamps), logs: work.logs.clone() };
    let mut steps = Steps { work, plan, place: shared, report: StepReport::default() };
    let build_python_key = steps.build_python()?;
    let name = plan.target.name;
    steps.place = Place { stamps: Stamps::new(&work.stamps.join(name)), logs: work.logs.join(name) };
    steps.build_target(&build_python_key)?;
    Ok(steps.report)
}

/// Where a step's stamp and log go.
struct Place {
    stamps: Stamps,
    logs: std::path::PathBuf,
}

struct Steps<'a> {
    work: &'a WorkDir,
    plan: &'a BuildPlan<'a>,
    place: Place,
    report: StepReport,
}

impl Steps<'_> {
    /// The native build Python; returns its configure key, which the target's steps build on.
    fn build_python(&mut self) -> anyhow::Result<String> {
        let (work, source) = (self.work, self.plan.native);
        let native_env = env::base(work, self.plan);
        let configure = source.root.join("configure");
        let configure_digest = sha256_file(&configure).with_context(|| format!("read {}", configure.display()))?;
        let at = configure.display().to_string();
        let parts = ["configure build python", &source.identity, &at, &configure_digest, &env::key_text(&native_env)];
        let key = stamp::key(parts);
        let native_configure = Cmd::new(&configure, &work.build_python, &native_env).arg("-C");
        let tree = source.root.as_path();
        self.configure_and_make("build python", &work.build_python, tree, native_configure, &key, |_| Ok(vec![]))?;
        Ok(key)
    }

    /// configure and make for the target, then the run record.
    fn build_target(&mut self, build_python_key: &str) -> anyhow::Result<()> {
        let (work, plan) = (self.work, self.plan);
        let (runner, configure) = target_configure(work, plan)?;
        let parts = ["configure host", build_python_key, &configure.display(), &env::key_text(&configure.env)];
        let identity = plan.toolchain.identity();
        let library_keys = plan.libraries.iter().map(|library| library.key.as_str());
        let key = stamp::key(parts.into_iter().chain([identity.as_str()]).chain(library_keys));
        let make_env = make_env(&configure);
        if let Toolchain::Emscripten { .. } = plan.toolchain {
            emscripten::prepare_build_dir(work)?;
        }
        let tree = plan.source.root.as_path();
        let make_vars = |dir: &Path| emscripten::make_vars(plan, dir);
        self.configure_and_make("host", &work.target_build, tree, configure, &key, make_vars)?;
        if let Toolchain::Emscripten { emscripten, .. } = plan.toolchain {
            let ports = emscripten.downloaded_ports();
            if !ports.is_empty() {
                anyhow::bail!(
                    "emcc downloaded ports during the build ({}, in {}): a library configure took from a port instead of the dependency stage; remove them and report this",
                    ports.join(", "),
                    emscripten.ports_dir().display()
                );
            }
        }
        let mut runner = RunnerCommand { module: env::module(work, plan), ..runner };
        if let Toolchain::Emscripten { node, .. } = plan.toolchain {
            emscripten::install_node_entry(work, plan)?;
            let built = Built::read(work, &runner.module, &make_env)?;
            let extension = self.extension(&key, &built, &make_env)?;
            if plan.target.runner == Runner::Browser {
                self.web_bundle(&key, &built, &extension)?;
                files::write_atomic(&emscripten::browser_node_runner(work), crate::web::NODE_RUNNER)?;
                runner = emscripten::browser_runner(work, node);
            }
        }
        if plan.target.runner == Runner::Wasmtime {
            env::make_guest_root(work, plan)?;
        }
        let source = plan.source;
        let record = RunRecord {
            target: plan.target,
            python: source.line.to_string(),
            source: source.root.clone(),
            origin: source.origin.clone(),
            runner,
        };
        work.write_run_record(&record)
    }

    /// The side module (extension.rs), rebuilt when the interpreter or its source changes.
    fn extension(&mut self, host_key: &str, built: &Built, make_env: &Env) -> anyhow::Result<PathBuf> {
        let work = self.work;
        let out = work.extension_dir();
        let key = stamp::key([host_key, &built.wasm_digest, extension::SOURCE]);
        self.step("extension", &key, |log| extension::build(&work.target_build, &out, make_env, log).map(drop))?;
        Ok(out.join(format!("{}{}", extension::NAME, built.ext_suffix)))
    }

    /// The browser target's web bundle (crate::web), rebuilt when the interpreter, the extension,
    /// the source tree or the page changes.
    fn web_bundle(&mut self, host_key: &str, built: &Built, extension: &Path) -> anyhow::Result<()> {
        let (work, plan) = (self.work, self.plan);
        let source = plan.source;
        let module = built.module.as_path();
        let digests = [sha256_file(module)?, built.wasm_digest.clone(), sha256_file(extension)?];
        let page = [crate::web::NODE_RUNNER, crate::web::stdlib::SCRIPT, crate::web::PAGE, crate::web::WORKER].concat();
        let parts = [host_key, &fingerprint(&source.root)?, &page, &built.prefix];
        let key = stamp::key(parts.into_iter().chain(digests.iter().map(String::as_str)));
        let sysconfigdata = crate::web::sysconfigdata(&work.target_build)?;
        let extensions = [extension.to_owned()];
        let inputs = crate::web::Inputs {
            module,
            version: source.line,
            zip_name: plan.profile.zip_name.of(source.line),
            prefix: &built.prefix,
            lib: &source.root.join("Lib"),
            sysconfigdata: &sysconfigdata,
            extensions: &extensions,
        };
        let scratch = work.target_build.join("web-stdlib");
        let compiler = crate::web::stdlib::Compiler {
            python: &work.build_python.join("python"),
            scratch: &scratch,
            env: &env::base(work, plan),
        };
        let bundle = work.web_bundle();
        self.step("web bundle", &key, |log| {
            let zip = crate::web::assemble(&bundle, &inputs, &compiler)?;
            let line = format!("{} modules in {} ({} as {})", zip.entries, zip.path.display(), zip.name, zip.inside);
            fs::write(log, format!("{line}\n"))?;
            eprintln!("build: web bundle: {line}");
            Ok(())
        })?;
        Ok(())
    }

    /// The `configure WHAT` step in `dir`, keyed by `key`, then `make WHAT` there with the same
    /// environment, keyed also by the source `tree`.
    fn configure_and_make(
        &mut self,
        what: &str,
        dir: &Path,
        tree: &Path,
        configure: Cmd,
        key: &str,
        make_vars: impl FnOnce(&Path) -> anyhow::Result<Vec<String>>,
    ) -> anyhow::Result<()> {
        let configure_name = format!("configure {what}");
        let make_name = format!("make {what}");
        let make = Cmd::new("make", dir, &make_env(&configure)).arg(format!("-j{}", self.plan.jobs));
        self.step(&configure_name, key, |log| {
            fresh_config_cache(dir)?;
            configure.run_logged(&configure_name, log)
        })?;
        self.make_step(&make_name, key, tree, |log| make.args(make_vars(dir)?).run_logged(&make_name, log))
    }

    /// Runs `run` unless the stamp holds `key`; returns whether it ran.
    fn step(&mut self, name: &str, key: &str, run: impl FnOnce(&Path) -> anyhow::Result<()>) -> anyhow::Result<bool> {
        if self.place.stamps.is_current(name, key) {
            self.report.skipped.push(name.to_owned());
            return Ok(false);
        }
        self.place.stamps.invalidate(name)?;
        let log = crate::workdir::log_in(&self.place.logs, name);
        fs::create_dir_all(&self.place.logs)?;
        remove_file_if_exists(&log)?;
        eprintln!("build: {name} (log: {})", log.display());
        let started = Instant::now();
        run(&log)?;
        eprintln!("build: {name} done in {:.1}s", started.elapsed().as_secs_f64());
        self.place.stamps.record(name, key)?;
        self.report.ran.push(name.to_owned());
        Ok(true)
    }

    /// A make step: its key also covers the source tree, so an edit in a checkout re-runs make, and
    /// nothing else does. The fingerprint is taken again after make, which may touch the tree.
    fn make_step(
        &mut self,
        name: &str,
        configure_key: &str,
        tree: &Path,
        run: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let key_now = stamp::key([configure_key, &fingerprint(tree)?]);
        if self.step(name, &key_now, run)? {
            self.place.stamps.record(name, &stamp::key([configure_key, &fingerprint(tree)?]))?;
        }
        Ok(())
    }
}

/// The target's runner (without the module's final name) and its configure command.
fn target_configure(work: &WorkDir, plan: &BuildPlan) -> anyhow::Result<(RunnerCommand, Cmd)> {
    let (mut configure_env, wrapper, runner, flavour) = match plan.toolchain {
        Toolchain::Wasi { sdk, wasmtime } => {
            let runner = wasi::runner(work, plan, wasmtime);
            (wasi::configure_env(work, plan, sdk, &runner), None, runner, vec![])
        }
        Toolchain::Emscripten { emscripten, node } => {
            let runner = emscripten::runner(work, plan, node);
            let env = emscripten::configure_env(work, plan, emscripten, node, &runner);
            (env, Some(emscripten.tool("emconfigure")), runner, emscripten::flavour_args(plan)?)
        }
    };
    configure_env.insert("CFLAGS".into(), env::target_cflags(work, plan));
    configure_env.insert("CONFIG_SITE".into(), env::config_site(plan)?.display().to_string());
    let target = plan.target;
    let configure = match &wrapper {
        Some(wrapper) => Cmd::new(wrapper, &work.target_build, &configure_env).arg("/bin/sh"),
        None => Cmd::new("/bin/sh", &work.target_build, &configure_env),
    }
    .arg(env::source_access(work, plan).configure.display().to_string())
    .args([
        "-C".to_owned(),
        format!("--host={}", target.configure_host(plan.profile)),
        format!("--build={}", config_guess(plan.source, &env::base(work, plan))?),
        format!("--with-build-python={}", work.build_python.join("python").display()),
    ])
    .args(target.configure_args.iter().chain(&flavour).copied())
    .args(env::library_configure_args(plan))
    .args(plan.configure_args.iter().cloned());
    Ok((runner, configure))
}

/// What the steps after an emscripten make need to know of its result, read once: the module's
/// wasm digest, and from the Makefile (expanded by make) the extension suffix and the prefix
/// compiled into getpath (3.14 on set `host_prefix`, `/` on emscripten, apart from the install
/// prefix; 3.13 has only `prefix`).
struct Built {
    module: PathBuf,
    wasm_digest: String,
    ext_suffix: String,
    prefix: String,
}

impl Built {
    fn read(work: &WorkDir, module: &Path, make_env: &Env) -> anyhow::Result<Built> {
        let names = ["EXT_SUFFIX", "host_prefix", "prefix"];
        let [ext_suffix, host_prefix, prefix] = extension::makefile_values(&work.target_build, make_env, &names)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("make printed the wrong number of values"))?;
        let prefix = [host_prefix, prefix].into_iter().find(|v| !v.is_empty()).unwrap_or_else(|| "/".into());
        let wasm_digest = sha256_file(&module.with_extension("wasm"))?;
        Ok(Built { module: module.to_owned(), wasm_digest, ext_suffix, prefix })
    }
}

/// The environment of make and of what runs after it: configure's, less what configure wrote into
/// the Makefile (passed again, make would add them a second time).
fn make_env(configure: &Cmd) -> crate::process::Env {
    let mut env = configure.env.clone();
    for written in ["CFLAGS", "CPPFLAGS", "LDFLAGS", "LIBS"] {
        env.remove(written);
    }
    env
}

/// Creates a build directory, or drops the `config.cache` of an earlier configure: its inputs
/// changed (that is why configure runs again), and autoconf refuses a cache whose precious
/// variables differ. Objects are kept, so make stays incremental.
fn fresh_config_cache(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir)?;
    remove_file_if_exists(&dir.join("config.cache"))
}

fn config_guess(source: &SourceTree, env: &crate::process::Env) -> anyhow::Result<String> {
    let guess = source.root.join("config.guess");
    Ok(Cmd::new("/bin/sh", &source.root, env).arg(guess.display().to_string()).read()?.trim().to_owned())
}
