//! The step engine of the CPython build: a step runs unless its stamp holds its key, with its
//! output in its own log; a make step's key also covers the source tree. The drivers
//! (wasi.rs, emscripten/) add their own steps through it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fs_err as fs;

use super::stamp::{self, Stamps};
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

pub struct Steps {
    pub place: Place,
    pub report: StepReport,
    /// make's `-j`.
    pub jobs: usize,
}

impl Steps {
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

    /// The `configure WHAT` step in `dir`, keyed by `key`, then `make WHAT` there with the same
    /// environment (less what configure wrote into the Makefile), keyed also by the source `tree`.
    /// `make_vars` reads the Makefile configure wrote.
    pub fn configure_and_make(
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
        let make = Cmd::new("make", dir, &make_env(&configure.env)).arg(format!("-j{}", self.jobs));
        self.step(&configure_name, key, |log| {
            fresh_config_cache(dir)?;
            configure.run_logged(&configure_name, log)
        })?;
        self.make_step(&make_name, key, tree, |log| make.args(make_vars(dir)?).run_logged(&make_name, log))
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
