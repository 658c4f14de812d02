//! CPython's own test suite, run the way its CI runs it (`--fast-ci`), with a per-test timeout.

use std::collections::BTreeMap;
use std::fs;

use crate::build::env::RunRecord;
use crate::build::Layout;

pub fn run(
    record: &RunRecord,
    layout: &Layout,
    outer_env: &BTreeMap<String, String>,
    timeout: u64,
    extra: &[String],
) -> anyhow::Result<()> {
    let env = super::runner_env(outer_env);
    let mut args: Vec<String> = ["-m", "test", "--fast-ci", "--single-process"].map(String::from).to_vec();
    args.push(format!("--timeout={timeout}"));
    args.extend(extra.iter().cloned());
    let log = layout.logs.join(format!("test-{}.log", record.target));
    let _ = fs::remove_file(&log);
    eprintln!(
        "test: CPython {} suite under {} (log: {})",
        record.python,
        record.runner.program.display(),
        log.display()
    );
    let result = super::interpreter(record, &layout.work, &env, &args).run_logged("test suite", &log);
    let text = fs::read_to_string(&log).unwrap_or_default();
    for line in text
        .lines()
        .filter(|l| l.starts_with("Total tests:") || l.starts_with("Total test files:") || l.starts_with("Result:"))
    {
        println!("{line}");
    }
    result
}
