//! CPython's own test suite, run the way its CI runs it (`--fast-ci`), with a per-test timeout.

use crate::files::remove_file_if_exists;
use crate::process::Env;
use crate::workdir::{RunRecord, WorkDir};

pub fn run(record: &RunRecord, work: &WorkDir, env: &Env, timeout: u64, extra: &[String]) -> anyhow::Result<()> {
    let mut args: Vec<String> = ["-m", "test", "--fast-ci", "--single-process"].map(String::from).to_vec();
    args.push(format!("--timeout={timeout}"));
    args.extend(extra.iter().cloned());
    let log = work.logs.join(format!("test-{}.log", record.target));
    remove_file_if_exists(&log)?;
    eprintln!(
        "test: CPython {} suite under {} (log: {})",
        record.python,
        record.runner.program.display(),
        log.display()
    );
    let result = super::interpreter(record, &work.root, env, &args).run_logged("test suite", &log);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for line in text
        .lines()
        .filter(|l| l.starts_with("Total tests:") || l.starts_with("Total test files:") || l.starts_with("Result:"))
    {
        println!("{line}");
    }
    result
}
