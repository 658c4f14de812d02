//! The run stage: the built interpreter under its runner, the smoke test, the keyboard-interrupt
//! test and CPython's own test suite. Everything here reads the run record the build wrote.

pub mod extension;
pub mod full;
pub mod interrupt;
pub mod known;
pub mod smoke;

use crate::process::{Cmd, Env};
use crate::workdir::RunRecord;

/// The interpreter command with `args`, run from `dir` in `env` (the runner's environment, made at
/// the edge: a minimal PATH and the terminal's TERM).
pub fn interpreter(record: &RunRecord, dir: &std::path::Path, env: &Env, args: &[String]) -> Cmd {
    Cmd::new(&record.runner.program, dir, env).args(record.runner.launch_args()).args(args.iter().cloned())
}

/// The stdlib zip's path inside the interpreter of a web bundle (its bundle.json, beside the
/// module, says).
pub fn bundle_stdlib(record: &RunRecord) -> anyhow::Result<String> {
    let dir = record.runner.module.parent().unwrap_or(std::path::Path::new("/"));
    Ok(crate::bundle::Bundle::read(dir)?.stdlib_path)
}
