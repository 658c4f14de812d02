//! What a run did, as data. Under `--message-format json` each event is one JSON object on its
//! own line on stdout (the schema is docs/events.md, version [`SCHEMA`]); the human text goes to
//! stderr in either format. Every timed piece of work goes through [`step`], so a supervisor sees
//! each step start, finish, be skipped or fail, with its log.
//!
//! The format is chosen once, at the edge ([`set_json`]); stages only call [`emit`] and [`step`].

use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use crate::text::PathText;
use serde::Serialize;

/// The version of the event schema (docs/events.md). Adding a field keeps it; renaming or
/// removing one, or changing a meaning, raises it.
pub const SCHEMA: u32 = 1;

static JSON: OnceLock<bool> = OnceLock::new();
/// The target the steps that follow build for (bootstrap --target all builds several).
static TARGET: Mutex<Option<&'static str>> = Mutex::new(None);

/// Names the target of the steps that follow, in their events.
pub fn for_target(name: &'static str) {
    *TARGET.lock().unwrap_or_else(|e| e.into_inner()) = Some(name);
}

fn target() -> Option<&'static str> {
    *TARGET.lock().unwrap_or_else(|e| e.into_inner())
}

/// Chooses the format for this process; the first call wins.
pub fn set_json(on: bool) {
    let _ = JSON.set(on);
}

/// A command's own report line: on stdout, unless stdout carries events (then on stderr, with
/// the rest of the human text).
pub fn say(line: &str) {
    if json() {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

pub fn json() -> bool {
    JSON.get().copied().unwrap_or(false)
}

/// The stage a step belongs to, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Check,
    Fetch,
    Source,
    Patch,
    Toolchain,
    Deps,
    Build,
    Test,
    Dist,
}

#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event<'a> {
    /// The first event of every run.
    Start {
        schema: u32,
        command: &'a str,
        tool_version: &'a str,
    },
    StepStarted {
        stage: Stage,
        step: &'a str,
        target: Option<&'a str>,
        log: Option<String>,
    },
    StepFinished {
        stage: Stage,
        step: &'a str,
        target: Option<&'a str>,
        seconds: f64,
        log: Option<String>,
    },
    StepSkipped {
        stage: Stage,
        step: &'a str,
        target: Option<&'a str>,
        why: &'a str,
    },
    /// `error` is the error's first line; the log's tail is in the log.
    StepFailed {
        stage: Stage,
        step: &'a str,
        target: Option<&'a str>,
        seconds: f64,
        error: String,
        failure: Option<crate::exit::Failure>,
        log: Option<String>,
    },
    /// A check of `doctor` (or of bootstrap's pre-flight) that found a problem.
    Problem {
        check: &'a str,
        blocking: bool,
        problem: String,
        fix: String,
    },
    /// The totals of a test run.
    Suite {
        target: &'a str,
        python: &'a str,
        suite: &'a str,
        result: &'a str,
        passed: bool,
        test_files: Option<&'a str>,
        tests: Option<&'a str>,
        /// Known failures of the line and target left out of the run.
        left_out: usize,
        seconds: f64,
    },
    /// What the compiler cache did for one build step's compiles (`--compiler-cache`).
    CompilerCache {
        step: &'a str,
        target: Option<&'a str>,
        hits: u64,
        remote_hits: u64,
        misses: u64,
        uncacheable: u64,
        remote_errors: u64,
        /// hits / (hits + misses); none when nothing was cacheable.
        hit_rate: Option<f64>,
        /// `used`, `down` (left out of this step: it did not answer) or `none`.
        remote: crate::compiler_cache::RemoteUse,
    },
    /// Whether a configure step started from a seed of the same inputs (cpython/seed.rs).
    ConfigureSeed {
        step: &'a str,
        target: Option<&'a str>,
        seeded: bool,
    },
    /// A cache entry `prune` removed (or would remove, with --dry-run).
    Pruned {
        path: String,
        bytes: u64,
        why: &'a str,
        dry_run: bool,
    },
    /// The last event of every run.
    Result {
        command: &'a str,
        ok: bool,
        exit_code: u8,
        failure: Option<crate::exit::Failure>,
        error: Option<String>,
        seconds: f64,
    },
}

/// Prints an event on stdout under `--message-format json`; nothing otherwise.
pub fn emit(event: &Event) {
    if json() {
        println!("{}", serde_json::to_string(event).expect("events serialize"));
    }
}

/// Any other record a command prints as its result (a fetched artifact, a pin, a dist), with its
/// `event` name; under `--message-format json` only.
pub fn emit_record(event: &str, record: &impl Serialize) {
    if !json() {
        return;
    }
    let mut value = serde_json::to_value(record).expect("records serialize");
    if let Some(object) = value.as_object_mut() {
        object.insert("event".into(), event.into());
    }
    println!("{value}");
}

/// Runs one step of `stage`: emits step-started, then step-finished or step-failed with the
/// time taken and the log.
pub fn step<T>(
    stage: Stage,
    name: &str,
    log: Option<&Path>,
    run: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let log_text = log.map(|l| l.plain());
    let target = target();
    emit(&Event::StepStarted { stage, step: name, target, log: log_text.clone() });
    let started = Instant::now();
    let done = run();
    let seconds = round(started.elapsed().as_secs_f64());
    match &done {
        Ok(_) => emit(&Event::StepFinished { stage, step: name, target, seconds, log: log_text }),
        Err(error) => emit(&Event::StepFailed {
            stage,
            step: name,
            target,
            seconds,
            error: first_line(error),
            failure: crate::exit::classify(error),
            log: log_text,
        }),
    }
    done
}

/// A step that was up to date.
pub fn skipped(stage: Stage, name: &str, why: &str) {
    emit(&Event::StepSkipped { stage, step: name, target: target(), why });
}

/// The compiler cache's tally of a build step.
pub fn compiler_cache(step: &str, tally: &crate::compiler_cache::Tally, remote: crate::compiler_cache::RemoteUse) {
    let t = tally;
    emit(&Event::CompilerCache {
        step,
        target: target(),
        hits: t.hits,
        remote_hits: t.remote_hits,
        misses: t.misses,
        uncacheable: t.uncacheable,
        remote_errors: t.remote_errors,
        hit_rate: t.hit_rate().map(|rate| (rate * 10_000.0).round() / 10_000.0),
        remote,
    });
}

/// Whether a configure step was seeded.
pub fn configure_seed(step: &str, seeded: bool) {
    emit(&Event::ConfigureSeed { step, target: target(), seeded });
}

/// An error's first line, made printable: what a chart shows.
pub fn first_line(error: &anyhow::Error) -> String {
    let text = crate::text::error_text(error);
    text.lines().next().unwrap_or_default().to_owned()
}

/// Seconds to the millisecond: enough for a chart, stable to read.
pub fn round(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_objects_with_kebab_case_names() {
        let event =
            Event::StepSkipped { stage: Stage::Build, step: "make host", target: Some("wasi"), why: "up to date" };
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(
            text,
            r#"{"event":"step-skipped","stage":"build","step":"make host","target":"wasi","why":"up to date"}"#
        );
    }

    #[test]
    fn a_failure_keeps_only_the_first_line_printable() {
        let error = anyhow::anyhow!("make host failed (exit 2)\n  | tail\x1b[31m");
        assert_eq!(first_line(&error), "make host failed (exit 2)");
    }
}
