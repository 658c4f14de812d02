//! CPython's own test suite, run the way its CI runs it (`--fast-ci`, or what it stands for on a
//! line that has no single-process mode for it: line.rs), with a per-test timeout,
//! ending in one summary line: result, test files, tests and time.

use std::time::Instant;

use crate::files::remove_file_if_exists;
use crate::process::Env;
use crate::workdir::{RunRecord, WorkDir};

use super::known::{ignore_args, Failure};
use crate::text::PathText;

/// Runs the suite; `known` are the known failures to leave out (see known.rs).
pub fn run(
    record: &RunRecord,
    work: &WorkDir,
    env: &Env,
    timeout: u64,
    known: &[Failure],
    extra: &[String],
) -> anyhow::Result<()> {
    let line = crate::line::PythonLine::parse(&record.python)?;
    let mode = crate::line::profile(line)?.regrtest;
    let mut args: Vec<String> = ["-m", "test"].into_iter().chain(mode.iter().copied()).map(String::from).collect();
    args.push(format!("--timeout={timeout}"));
    for failure in known {
        eprintln!(
            "test: leaving out {} known failure(s) of CPython {} on {}: {} (--with-known-failures runs them)",
            failure.tests.len(),
            record.python,
            record.target.name,
            failure.why
        );
    }
    args.extend(ignore_args(known));
    args.extend(extra.iter().cloned());
    let log = log_path(record, work);
    remove_file_if_exists(&log)?;
    eprintln!("test: CPython {} suite under {} (log: {})", record.python, record.runner.program.shown(), log.shown());
    let started = Instant::now();
    let result = super::interpreter(record, &work.root, env, &args).run_logged("test suite", &log);
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let seconds = started.elapsed().as_secs();
    let line = summary(&record.python, record.target.name, &text, seconds);
    let totals = Totals::of(&text);
    crate::events::emit(&crate::events::Event::Suite {
        target: record.target.name,
        python: &record.python,
        suite: "full",
        result: totals.result.unwrap_or("no result"),
        passed: result.is_ok(),
        test_files: totals.files,
        tests: totals.tests,
        left_out: known.iter().map(|f| f.tests.len()).sum(),
        seconds: crate::events::round(started.elapsed().as_secs_f64()),
    });
    match crate::events::json() {
        true => eprintln!("{line}"),
        false => println!("{line}"),
    }
    // The suite ran and failed: a test failure, not a build's (a timeout or a signal stays what
    // it is).
    result.map_err(|error| match error.downcast_ref::<crate::process::StepFailed>() {
        Some(step) if step.ended == crate::process::Ended::Failed => {
            crate::exit::fail(crate::exit::Failure::Test, crate::text::error_text(&error))
        }
        _ => error,
    })
}

/// Where the suite's output goes.
pub fn log_path(record: &RunRecord, work: &WorkDir) -> std::path::PathBuf {
    work.logs.join(format!("test-{}.log", record.target.name))
}

/// What regrtest's last lines say.
struct Totals<'a> {
    result: Option<&'a str>,
    files: Option<&'a str>,
    tests: Option<&'a str>,
}

impl<'a> Totals<'a> {
    fn of(log: &'a str) -> Totals<'a> {
        let value = |prefix: &str| log.lines().rev().find_map(|l| l.strip_prefix(prefix)).map(str::trim);
        Totals { result: value("Result:"), files: value("Total test files:"), tests: value("Total tests:") }
    }
}

/// One line from regrtest's totals: `suite: CPython 3.13 on wasi: SUCCESS; test files run=…;
/// tests run=…; 8m03s`. Parts regrtest did not print are left out; a run that never reached its
/// totals says so.
pub fn summary(python: &str, target: &str, log: &str, seconds: u64) -> String {
    let totals = Totals::of(log);
    let result = totals.result.unwrap_or("no result (the run ended early; see the log)");
    let mut parts = vec![format!("suite: CPython {python} on {target}: {result}")];
    if let Some(files) = totals.files {
        parts.push(format!("test files {files}"));
    }
    if let Some(tests) = totals.tests {
        parts.push(format!("tests {tests}"));
    }
    parts.push(format!("{}m{:02}s", seconds / 60, seconds % 60));
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_one_line_from_regrtest_s_totals() {
        let log = "0:08:01 [480/480] test_zlib passed\n\nTotal duration: 8 min 3 sec\nTotal tests: run=30,296 skipped=1,188\nTotal test files: run=480/480 skipped=31\nResult: SUCCESS\n";
        assert_eq!(
            summary("3.13", "wasi", log, 483),
            "suite: CPython 3.13 on wasi: SUCCESS; test files run=480/480 skipped=31; tests run=30,296 skipped=1,188; 8m03s"
        );
        let crashed = "0:00:04 [10/14/3] test_json\nRuntimeError: memory access out of bounds\n";
        assert_eq!(
            summary("3.13", "emscripten-node", crashed, 5),
            "suite: CPython 3.13 on emscripten-node: no result (the run ended early; see the log); 0m05s"
        );
    }
}
