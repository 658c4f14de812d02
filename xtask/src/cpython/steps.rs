//! The step engine of the CPython build: a step runs unless its stamp holds its key, with its
//! output in its own log; a make step's key also covers the source tree. The drivers
//! (wasi.rs, emscripten/) add their own steps through it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fs_err as fs;

use super::seed::Seeds;
use super::stamp::{self, Stamps};
use crate::compiler_cache::{CacheUse, CompilerCache};
use crate::events::{self, Stage};
use crate::exit::{fail, Failure};
use crate::files::remove_file_if_exists;
use crate::process::{Cmd, Env};
use crate::source::fingerprint;
use crate::text::PathText;

/// Which steps ran and which were up to date.
#[derive(Debug, Default)]
pub struct StepReport {
    pub ran: Vec<String>,
    pub skipped: Vec<String>,
}

/// Where a step's stamp and log go.
pub struct Place {
    pub stamps: Stamps,
    pub logs: PathBuf,
}

pub struct Steps<'a> {
    pub place: Place,
    pub report: StepReport,
    /// make's `-j`.
    pub jobs: usize,
    /// The compiler cache, if the build uses one, and the directory its paths are relative to.
    pub cache: Option<&'a CompilerCache>,
    pub base_dir: PathBuf,
    pub seeds: Seeds<'a>,
}

/// One `configure WHAT` and `make WHAT` pair.
pub struct ConfigureMake<'c> {
    pub what: &'c str,
    /// The build directory, and the source tree make's key covers.
    pub dir: &'c Path,
    pub tree: &'c Path,
    pub configure: Cmd,
    pub key: String,
    /// The configure seed's key (seed.rs).
    pub seed_key: String,
    /// What the compiler cache adds to these steps' environment besides its settings (the build
    /// Python's PATH, through which `cc` reaches ccache).
    pub cached_env: Env,
}

impl Steps<'_> {
    /// Runs `run` unless the stamp holds `key`; returns whether it ran.
    pub fn step(
        &mut self,
        name: &str,
        key: &str,
        run: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        if self.place.stamps.is_current(name, key)? {
            events::skipped(Stage::Build, name, "up to date");
            self.report.skipped.push(name.to_owned());
            return Ok(false);
        }
        self.place.stamps.invalidate(name)?;
        let log = crate::workdir::log_in(&self.place.logs, name);
        fs::create_dir_all(&self.place.logs)?;
        remove_file_if_exists(&log)?;
        enough_space(&self.place.logs)?;
        eprintln!("build: {name} (log: {})", log.shown());
        let started = Instant::now();
        events::step(Stage::Build, name, Some(&log), || run(&log))?;
        eprintln!("build: {name} done in {:.1}s", started.elapsed().as_secs_f64());
        self.place.stamps.record(name, key)?;
        self.report.ran.push(name.to_owned());
        Ok(true)
    }

    /// The `configure WHAT` step in `dir` (from a seed when there is one), then `make WHAT` there
    /// with the same environment (less what configure wrote into the Makefile), keyed also by
    /// the source tree. `make_vars` reads the Makefile configure wrote.
    pub fn configure_and_make(
        &mut self,
        job: ConfigureMake,
        make_vars: impl FnOnce(&Path) -> anyhow::Result<Vec<String>>,
    ) -> anyhow::Result<()> {
        let (what, dir) = (job.what, job.dir);
        let configure_name = format!("configure {what}");
        let make_name = format!("make {what}");
        let make = Cmd::new("make", dir, &make_env(&job.configure.env)).arg(format!("-j{}", self.jobs));
        let cached = CacheUse { cache: self.cache, base_dir: self.base_dir.clone(), more: job.cached_env };
        let seeds = self.seeds.clone();
        let configure_script = job.tree.join("configure");
        let (seed_key, configure) = (&job.seed_key, job.configure);
        let mut cache_run = None;
        let ran = self.step(&configure_name, &job.key, |log| {
            fresh_config_cache(dir)?;
            // A seed is an optimisation: one that cannot be planted or kept is a line, not a failure.
            let seeded = seeds.plant(seed_key, dir).unwrap_or_else(|error| {
                eprintln!("warning: {configure_name} starts without its seed: {}", crate::text::error_text(&error));
                false
            });
            events::configure_seed(&configure_name, seeded);
            if seeded {
                eprintln!(
                    "build: {configure_name} starts from the answers of an earlier configure with the same inputs"
                );
            }
            let (env, run) = cached.env(&configure_name, log);
            cache_run = run;
            configure.envs(env).run_logged(&configure_name, log)?;
            if let Err(error) = seeds.keep(seed_key, dir, &configure_script) {
                let error = crate::text::error_text(&error);
                eprintln!("warning: {configure_name}'s answers are not kept for the next work dir: {error}");
            }
            Ok(())
        })?;
        if let (true, Some(run)) = (ran, cache_run.take()) {
            CacheUse::report(&configure_name, &run)?;
        }
        let ran = self.make_step(&make_name, &job.key, job.tree, |log| {
            let (env, run) = cached.env(&make_name, log);
            cache_run = run;
            make.envs(env).args(make_vars(dir)?).run_logged(&make_name, log)
        })?;
        if let (true, Some(run)) = (ran, cache_run) {
            CacheUse::report(&make_name, &run)?;
        }
        Ok(())
    }

    /// A make step: its key also covers the source tree, so an edit in a checkout re-runs make, and
    /// nothing else does. The fingerprint is taken again after make, which may touch the tree.
    fn make_step(
        &mut self,
        name: &str,
        configure_key: &str,
        tree: &Path,
        run: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        let key_now = stamp::key([configure_key, &fingerprint(tree)?]);
        let ran = self.step(name, &key_now, run)?;
        if ran {
            self.place.stamps.record(name, &stamp::key([configure_key, &fingerprint(tree)?]))?;
        }
        Ok(ran)
    }
}

/// Free space a build step must find in the work dir before it starts: a make that fills the disk
/// half way leaves a tree worse than one that never started.
const STEP_SPACE: u64 = 500_000_000;

fn enough_space(dir: &Path) -> anyhow::Result<()> {
    let free = crate::files::free_bytes(dir)?;
    if free >= STEP_SPACE {
        return Ok(());
    }
    Err(fail(
        Failure::Host,
        format!(
            "only {} MB free in {}; a build step needs at least {} MB: free space, or use --work-dir on a larger disk",
            free / 1_000_000,
            crate::text::printable_path(dir),
            STEP_SPACE / 1_000_000
        ),
    ))
}

/// The environment of make and of what runs after it: configure's, less what configure wrote into
/// the Makefile (passed again, make would add them a second time).
pub fn make_env(configure_env: &Env) -> Env {
    let mut env = configure_env.clone();
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
