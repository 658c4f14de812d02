//! The run stage: the built interpreter under its runner, the smoke test, the keyboard-interrupt
//! test and CPython's own test suite. Everything here reads the run record the build wrote.

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
