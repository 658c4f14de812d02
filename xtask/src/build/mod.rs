//! The CPython build: a native build Python, then configure and make for the target, each step
//! skipped when its inputs are unchanged.
//!
//! ```text
//! WORK/src/Python-X.Y.Z/   the extracted release (not used for a checkout)
//! WORK/build-python/       the native build Python
//! WORK/<target>/           the target build (python.wasm, python.sh, run.json)
//! WORK/logs/<step>.log     the full output of every step
//! WORK/stamps/             one stamp per step
//! ```

pub mod emscripten;
pub mod env;
pub mod source;
pub mod stamp;
pub mod target;
pub mod wasi;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::deps::Built;
use crate::process::Cmd;
use crate::toolchains::Tools;
use env::RunnerSpec;
use source::SourceTree;
use stamp::Stamps;
use target::Target;

pub struct Layout {
    pub work: PathBuf,
    pub build_python: PathBuf,
    pub host: PathBuf,
    pub logs: PathBuf,
    pub stamps: Stamps,
}

impl Layout {
    pub fn new(work: &Path, target: &Target) -> Layout {
        Layout {
            work: work.to_owned(),
            build_python: work.join("build-python"),
            host: work.join(target.name),
            logs: work.join("logs"),
            stamps: Stamps::new(&work.join("stamps")),
        }
    }

    fn log(&self, step: &str) -> PathBuf {
        self.logs.join(format!("{}.log", step.replace(' ', "-")))
    }
}

/// Everything the configure/make steps need, resolved.
pub struct Inputs<'a> {
    pub target: &'static Target,
    pub source: &'a SourceTree,
    pub tools: &'a Tools,
    pub deps: &'a [Built],
    pub jobs: usize,
}

/// What the steps did: which ran and which were skipped.
#[derive(Debug, Default)]
pub struct Report {
    pub ran: Vec<String>,
    pub skipped: Vec<String>,
}

pub fn build(layout: &Layout, inputs: &Inputs) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let home = env::home(layout);
    std::fs::create_dir_all(&home).with_context(|| format!("create {}", home.display()))?;
    let marker = inputs.source.root.join("Modules/Setup.local");
    if !marker.exists() {
        std::fs::write(&marker, "# Created by cargo xtask bootstrap (marks a WASI build tree).\n")
            .with_context(|| format!("create {}", marker.display()))?;
    }
    let build_python_key = build_python(layout, inputs, &mut report)?;
    build_host(layout, inputs, &build_python_key, &mut report)?;
    Ok(report)
}

/// The native build Python; returns its configure key, which the host steps build on.
fn build_python(layout: &Layout, inputs: &Inputs, report: &mut Report) -> anyhow::Result<String> {
    let source = inputs.source;
    let native_env = env::base(layout, source);
    let configure = source.root.join("configure");
    let key = stamp::key([
        "configure build python",
        &source.identity,
        &file_digest(&configure)?,
        &env::describe(&native_env),
    ]);
    let native_configure = Cmd::new(&configure, &layout.build_python, &native_env).arg("-C");
    configure_and_make(layout, inputs, "build python", &layout.build_python, native_configure, &key, report)?;
    Ok(key)
}

/// configure and make for the target, then the runner files.
fn build_host(layout: &Layout, inputs: &Inputs, build_python_key: &str, report: &mut Report) -> anyhow::Result<()> {
    let source = inputs.source;
    let (mut host_env, configure_program, runner) = match inputs.tools {
        Tools::Wasi { sdk, wasmtime } => {
            let runner = wasi::runner(layout, inputs, wasmtime);
            (wasi::host_env(layout, inputs, sdk, &runner), None, runner)
        }
        Tools::Emscripten { emscripten, node } => {
            let runner = emscripten::runner(layout, inputs, node);
            let env = emscripten::host_env(layout, inputs, emscripten, node, &runner);
            (env, Some(emscripten.tool("emconfigure")), runner)
        }
    };
    host_env.insert("CFLAGS".into(), env::host_cflags(layout, inputs));
    if let Some(site) = env::config_site(inputs) {
        host_env.insert("CONFIG_SITE".into(), site.display().to_string());
    }
    let target_args = inputs.target.configure_args.iter().chain(inputs.target.flavour_args);
    let host_configure = match &configure_program {
        Some(wrapper) => Cmd::new(wrapper, &layout.host, &host_env).arg("/bin/sh"),
        None => Cmd::new("/bin/sh", &layout.host, &host_env),
    }
    .arg(env::source_access(layout, source).configure.display().to_string())
    .args([
        "-C".to_owned(),
        format!("--host={}", inputs.target.triple),
        format!("--build={}", config_guess(source, &env::base(layout, source))?),
        format!("--with-build-python={}", layout.build_python.join("python").display()),
    ])
    .args(target_args.copied());
    let parts = ["configure host", build_python_key, &host_configure.display(), &env::describe(&host_env)];
    let identity = inputs.tools.identity();
    let dep_keys = inputs.deps.iter().map(|d| d.key.as_str());
    let key = stamp::key(parts.into_iter().chain([identity.as_str()]).chain(dep_keys));
    configure_and_make(layout, inputs, "host", &layout.host, host_configure, &key, report)?;
    // The module's name is known once make has run.
    let runner = RunnerSpec { module: env::module(layout, inputs.target), ..runner };
    env::write_runner_files(layout, inputs, &runner)
}

/// The `configure WHAT` step in `dir`, keyed by `key`, then `make WHAT` there with the same
/// environment.
fn configure_and_make(
    layout: &Layout,
    inputs: &Inputs,
    what: &str,
    dir: &Path,
    configure: Cmd,
    key: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    let configure_name = format!("configure {what}");
    let make_name = format!("make {what}");
    // configure wrote these into the Makefile; passed again, make would add them a second time.
    let mut make_env = configure.env.clone();
    for written in ["CFLAGS", "CPPFLAGS", "LDFLAGS", "LIBS"] {
        make_env.remove(written);
    }
    let make = Cmd::new("make", dir, &make_env).arg(format!("-j{}", inputs.jobs));
    step(layout, &configure_name, key, report, |log| {
        fresh_config_cache(dir)?;
        configure.run_logged(&configure_name, log)
    })?;
    make_step(layout, &make_name, key, &inputs.source.root, report, |log| make.run_logged(&make_name, log))
}

/// Creates a build directory, or drops the `config.cache` of an earlier configure: its inputs
/// changed (that is why configure runs again), and autoconf refuses a cache whose precious
/// variables differ. Objects are kept, so make stays incremental.
fn fresh_config_cache(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    match std::fs::remove_file(dir.join("config.cache")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).context("remove config.cache"),
        _ => Ok(()),
    }
}

/// Runs `run` unless the stamp holds `key`; returns whether it ran.
fn step(
    layout: &Layout,
    name: &str,
    key: &str,
    report: &mut Report,
    run: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    if layout.stamps.is_current(name, key) {
        report.skipped.push(name.to_owned());
        return Ok(false);
    }
    layout.stamps.invalidate(name)?;
    let log = layout.log(name);
    let _ = std::fs::remove_file(&log);
    eprintln!("build: {name} (log: {})", log.display());
    let started = std::time::Instant::now();
    run(&log)?;
    eprintln!("build: {name} done in {:.1}s", started.elapsed().as_secs_f64());
    layout.stamps.record(name, key)?;
    report.ran.push(name.to_owned());
    Ok(true)
}

/// A make step: its key also covers the source tree, so an edit in a checkout re-runs make, and
/// nothing else does. The fingerprint is taken after make, which may touch the tree.
fn make_step(
    layout: &Layout,
    name: &str,
    configure_key: &str,
    tree: &Path,
    report: &mut Report,
    run: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let key_now = stamp::key([configure_key, &source::fingerprint(tree)?]);
    if step(layout, name, &key_now, report, run)? {
        layout.stamps.record(name, &stamp::key([configure_key, &source::fingerprint(tree)?]))?;
    }
    Ok(())
}

fn config_guess(source: &SourceTree, env: &BTreeMap<String, String>) -> anyhow::Result<String> {
    let guess = source.root.join("config.guess");
    Ok(Cmd::new("/bin/sh", &source.root, env).arg(guess.display().to_string()).read()?.trim().to_owned())
}

fn file_digest(path: &Path) -> anyhow::Result<String> {
    crate::fetch::cache::sha256_file(path).with_context(|| format!("read {}", path.display()))
}
