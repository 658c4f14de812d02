//! The one helper that runs every external command.
//!
//! It starts from an empty environment and sets only what the caller passes, logs the command
//! line, appends all output to the step's log file, prints a heartbeat while a long command runs,
//! and on failure shows the command, the log's last lines and the log's path.
//!
//! A logged step runs in its own process group, so that `--step-timeout` and a signal to this
//! process (SIGINT, SIGTERM, SIGHUP: [`stop_on_signals`]) stop the whole of it (make and every
//! compiler it started), wait for it, and only then let the caller release its locks.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use fs_err::{self as fs, File};

mod stop;
use crate::text::PathText;
pub use stop::{interrupted, set_step_timeout, stop_on_signals, Ended, StepFailed};

/// A complete process environment: nothing else is inherited.
pub type Env = BTreeMap<String, String>;

/// The PATH every command starts from.
pub const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The smallest environment a tool runs with: the system PATH, a C locale and UTC.
pub fn system_env() -> Env {
    [("PATH", SYSTEM_PATH), ("LC_ALL", "C"), ("TZ", "UTC")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub(super) const HEARTBEAT: Duration = Duration::from_secs(60);
const TAIL_LINES: usize = 30;
/// An external command: program, arguments, working directory and its complete environment.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub dir: PathBuf,
    pub env: Env,
}

impl Cmd {
    pub fn new(program: impl Into<PathBuf>, dir: &Path, env: &Env) -> Cmd {
        Cmd { program: program.into(), args: Vec::new(), dir: dir.to_owned(), env: env.clone() }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Cmd {
        self.args.push(arg.into());
        self
    }

    /// The command with `more` added to (and replacing names in) its environment.
    pub fn envs(mut self, more: Env) -> Cmd {
        self.env.extend(more);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Cmd {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// The command as a shell would take it (for a log, or a stamp's key).
    pub fn plain(&self) -> String {
        shell_join(&self.program, &self.args)
    }

    /// The command for a message: [`Cmd::plain`], made printable.
    pub fn shown(&self) -> String {
        crate::text::printable(&self.plain())
    }

    fn expression(&self) -> duct::Expression {
        duct::cmd(self.resolved_program(), &self.args).dir(&self.dir).full_env(&self.env).stdin_null()
    }

    /// The expression in a process group of its own (whose id is the child's pid).
    fn grouped(&self) -> duct::Expression {
        self.expression().before_spawn(|command| {
            command.process_group(0);
            Ok(())
        })
    }

    /// A bare program name is looked up in the command's own PATH, not the caller's.
    fn resolved_program(&self) -> PathBuf {
        if self.program.components().count() > 1 {
            return self.program.clone();
        }
        let path = self.env.get("PATH").map(String::as_str).unwrap_or("/usr/bin:/bin");
        path.split(':')
            .map(|dir| Path::new(dir).join(&self.program))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| self.program.clone())
    }

    /// Runs the command with its output appended to `log`; on failure the error ([`StepFailed`])
    /// names the command, shows the log's tail and its path. The command runs in its own
    /// process group, stopped as a whole by `--step-timeout` or a signal to this process.
    pub fn run_logged(&self, step: &str, log: &Path) -> anyhow::Result<()> {
        append_log_header(log, self)?;
        let output =
            crate::files::no_follow().append(true).open(log).with_context(|| format!("open {}", log.shown()))?;
        let errors = output.try_clone().with_context(|| format!("open {}", log.shown()))?;
        let started = Instant::now();
        let handle = self.grouped().stdout_file(output).stderr_file(errors).unchecked().start().with_context(|| {
            format!(
                "{step}: cannot start {}; is it installed? (failed command: {})",
                self.program.shown(),
                self.shown()
            )
        })?;
        let group = handle.pids().first().copied().unwrap_or(0) as i32;
        let waited = stop::wait_for(&handle, group, step, log, started);
        let (ended, status) = match waited? {
            (None, status) if status.success() => return Ok(()),
            (None, status) => (Ended::Failed, status.to_string()),
            (Some(ended), status) => (ended, status.to_string()),
        };
        let how = match ended {
            Ended::Failed => format!("{step} failed ({status})"),
            Ended::TimedOut => format!(
                "{step} ran longer than --step-timeout ({}s) and was stopped with its process group",
                stop::step_timeout().map_or(0, |t| t.as_secs())
            ),
            Ended::Interrupted => format!("{step} was interrupted by a signal; its process group was stopped"),
        };
        let message = format!(
            "{how}; failed command: {}\n{}\n{step}: the full log is {}",
            self.shown(),
            log_tail(log),
            log.shown()
        );
        Err(StepFailed { ended, message }.into())
    }

    /// Runs the command and returns its stdout; for short queries such as `--version`.
    pub fn read(&self) -> anyhow::Result<String> {
        Ok(self.read_both()?.0)
    }

    /// Runs the command and returns its stdout and stderr; fails if it fails.
    pub fn read_both(&self) -> anyhow::Result<(String, String)> {
        let output = self
            .expression()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .run()
            .with_context(|| format!("cannot start {}; failed command: {}", self.program.shown(), self.shown()))?;
        if !output.status.success() {
            return Err(anyhow::anyhow!(
                "failed command: {} ({}): {}",
                self.shown(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok((String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned()))
    }

    /// Runs the command with the terminal attached (for `run`); returns its exit code.
    pub fn run_interactive(&self) -> anyhow::Result<i32> {
        let expression = duct::cmd(self.resolved_program(), &self.args).dir(&self.dir).full_env(&self.env).unchecked();
        let output =
            stop::interactive(|| expression.run().with_context(|| format!("failed command: {}", self.shown())));
        Ok(output?.status.code().unwrap_or(1))
    }
}

fn append_log_header(log: &Path, cmd: &Cmd) -> anyhow::Result<()> {
    if let Some(parent) = log.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut file = crate::files::no_follow()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("open the log {}", log.shown()))?;
    writeln!(file, "$ cd {} && {}", shell_quote(&cmd.dir.plain()), cmd.plain())?;
    Ok(())
}

fn log_tail(log: &Path) -> String {
    let Ok(file) = File::open(log) else {
        return String::new();
    };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    lines[start..].iter().map(|l| format!("  | {}", crate::text::printable(l))).collect::<Vec<_>>().join("\n")
}

/// A program and its arguments as one shell command line.
pub fn shell_join(program: &Path, args: &[String]) -> String {
    std::iter::once(program.plain())
        .chain(args.iter().cloned())
        .map(|word| shell_quote(&word))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn shell_quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        [("PATH".to_owned(), "/usr/bin:/bin".to_owned())].into_iter().collect()
    }

    #[test]
    fn quoting_leaves_plain_words_alone() {
        assert_eq!(shell_quote("--host=wasm32-wasip1"), "--host=wasm32-wasip1");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn the_environment_is_only_what_is_passed() {
        let out = Cmd::new("/usr/bin/env", Path::new("/"), &env()).read().unwrap();
        assert_eq!(out.trim(), "PATH=/usr/bin:/bin");
    }

    #[test]
    fn a_failure_shows_the_command_and_the_log_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("step.log");
        let cmd = Cmd::new("/bin/sh", dir.path(), &env()).args(["-c", "echo first; echo boom >&2; exit 3"]);
        let err = cmd.run_logged("configure host", &log).unwrap_err().to_string();
        assert!(err.contains("configure host failed"), "{err}");
        assert!(err.contains("failed command: /bin/sh -c"), "{err}");
        assert!(err.contains("  | boom"), "{err}");
        assert!(err.contains(&log.plain()), "{err}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("$ cd ") && text.contains("first\nboom\n"), "{text}");
    }
}
