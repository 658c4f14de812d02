//! Stopping a step: `--step-timeout`, and SIGINT, SIGTERM or SIGHUP sent to the tool. A logged
//! step runs in its own process group (its id is the child's pid); stopping it signals the whole
//! group (make and every compiler it started), waits for it, and only then lets the caller
//! unwind and release its locks.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::exit::Failure;

use super::HEARTBEAT;
use crate::text::PathText;

/// How long a stopped step's group has between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(10);

static STEP_TIMEOUT: OnceLock<Duration> = OnceLock::new();
/// The process group of the logged step running now (0: none).
static RUNNING_GROUP: AtomicI32 = AtomicI32::new(0);
/// The signal that asked this process to stop (0: none).
static SIGNALLED: AtomicI32 = AtomicI32::new(0);
/// An interactive child (`run`) owns the terminal: SIGINT is its own.
static INTERACTIVE: AtomicBool = AtomicBool::new(false);

/// Bounds every logged step's time for this process (`--step-timeout`); set once, at the edge.
pub fn set_step_timeout(limit: Duration) {
    let _ = STEP_TIMEOUT.set(limit);
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP: with a logged step running, its whole
/// process group gets SIGTERM and the step ends as interrupted (the caller unwinds, releasing its
/// locks after the group is gone); with none, the signal's default action ends the process.
pub fn stop_on_signals() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: the handler only touches atomics and calls async-signal-safe functions.
        unsafe {
            libc::signal(signal, on_signal as *const () as libc::sighandler_t);
        }
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    if INTERACTIVE.load(Ordering::SeqCst) && signal == libc::SIGINT {
        return;
    }
    let group = RUNNING_GROUP.load(Ordering::SeqCst);
    if group > 0 {
        let again = SIGNALLED.swap(signal, Ordering::SeqCst) != 0;
        // SAFETY: kill(2) is async-signal-safe; a second signal kills at once.
        unsafe {
            libc::kill(-group, if again { libc::SIGKILL } else { libc::SIGTERM });
        }
        return;
    }
    // SAFETY: signal(2) and raise(3) are async-signal-safe: the default action, as if no handler.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Why a logged step did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Failed,
    TimedOut,
    Interrupted,
}

/// A logged step that failed, timed out or was interrupted; the message names the command, the
/// log's tail and the log.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StepFailed {
    pub ended: Ended,
    pub(super) message: String,
}

impl StepFailed {
    pub fn failure(&self) -> Failure {
        match self.ended {
            Ended::Failed => Failure::Build,
            Ended::TimedOut => Failure::Timeout,
            Ended::Interrupted => Failure::Interrupted,
        }
    }
}

/// Whether a signal asked this process to stop.
pub fn interrupted() -> bool {
    SIGNALLED.load(Ordering::SeqCst) != 0
}

/// The group the signal handler stops, set while a logged step runs; cleared when dropped, on
/// every way out of the wait.
struct Running;

impl Running {
    fn set(group: i32) -> Running {
        RUNNING_GROUP.store(group, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING_GROUP.store(0, Ordering::SeqCst);
    }
}

/// Runs an interactive child (`run`): SIGINT is the interpreter's, not the tool's.
pub(super) fn interactive<T>(run: impl FnOnce() -> T) -> T {
    INTERACTIVE.store(true, Ordering::SeqCst);
    let done = run();
    INTERACTIVE.store(false, Ordering::SeqCst);
    done
}

pub(super) fn step_timeout() -> Option<Duration> {
    STEP_TIMEOUT.get().copied()
}

/// Waits for a logged step, with a heartbeat; stops its group on a deadline or a signal. Returns
/// why it was stopped (None: it ended by itself) and its status.
pub(super) fn wait_for(
    handle: &duct::Handle,
    group: i32,
    step: &str,
    log: &Path,
    started: Instant,
) -> anyhow::Result<(Option<Ended>, std::process::ExitStatus)> {
    let _running = Running::set(group);
    let deadline = step_timeout().map(|limit| started + limit);
    let mut last_beat = Instant::now();
    let mut stopping: Option<(Ended, Instant)> = None;
    loop {
        if let Some(output) = handle.try_wait()? {
            // Whatever the group left behind (a compiler whose make died) goes too.
            kill_group(group, libc::SIGKILL);
            let ended = stopping.map(|(why, _)| why).or(interrupted().then_some(Ended::Interrupted));
            return Ok((ended, output.status));
        }
        match stopping {
            None if interrupted() => stopping = Some((Ended::Interrupted, Instant::now())),
            None if deadline.is_some_and(|d| Instant::now() >= d) => {
                eprintln!("{step}: over --step-timeout; stopping its process group (log: {})", log.shown());
                kill_group(group, libc::SIGTERM);
                stopping = Some((Ended::TimedOut, Instant::now()));
            }
            Some((_, since)) if since.elapsed() >= GRACE => kill_group(group, libc::SIGKILL),
            _ => {}
        }
        if last_beat.elapsed() >= HEARTBEAT {
            last_beat = Instant::now();
            eprintln!("{step}: still running ({}s, log: {})", started.elapsed().as_secs(), log.shown());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn kill_group(group: i32, signal: libc::c_int) {
    if group > 0 {
        // SAFETY: signals a process group this process created; ESRCH (already gone) is fine.
        unsafe {
            libc::kill(-group, signal);
        }
    }
}
