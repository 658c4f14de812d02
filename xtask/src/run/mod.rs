//! Running the built interpreter: the smoke test, the keyboard-interrupt test and CPython's own
//! test suite.

pub mod full;
pub mod interrupt;
pub mod smoke;

use std::collections::BTreeMap;

use crate::build::env::RunRecord;
use crate::process::Cmd;

/// The runner's environment: a minimal PATH and, for the terminal, TERM. Nothing else leaks in.
pub fn runner_env(outer: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([("PATH".to_owned(), "/usr/bin:/bin".to_owned())]);
    if let Some(term) = outer.get("TERM") {
        env.insert("TERM".into(), term.clone());
    }
    env
}

/// The interpreter command with `args`, run from `dir`.
pub fn interpreter(record: &RunRecord, dir: &std::path::Path, env: &BTreeMap<String, String>, args: &[String]) -> Cmd {
    Cmd::new(&record.runner.program, dir, env)
        .args(record.runner.args.iter().cloned())
        .arg(record.runner.module.display().to_string())
        .args(args.iter().cloned())
}
