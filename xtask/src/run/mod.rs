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

/// The stdlib zip's path inside the interpreter of a web bundle (its bundle.json says).
pub fn bundle_stdlib(record: &RunRecord) -> anyhow::Result<String> {
    let config = record.runner.module.join("bundle.json");
    let text = fs_err::read_to_string(&config)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not the bundle's JSON ({e}): run bootstrap again", config.display()))?;
    value["stdlib_path"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{} names no stdlib_path: run bootstrap again", config.display()))
}
