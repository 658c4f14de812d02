//! Exit codes with meaning, so a supervisor can tell a failed test from a dead mirror
//! (docs/events.md lists them). An error gets its kind where it is made: the fetch layer's typed
//! faults, a step that failed or timed out, a suite that ran and failed, or a [`tag`] put on at a
//! stage boundary; the innermost kind in an error's chain decides.

use serde::Serialize;

/// Why a run failed. The discriminant is the exit code; anything unclassified exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// A flag or its value is wrong (clap's own errors exit 2 as well).
    Usage = 2,
    /// A manifest, overlay, pin, patch series or source tree is wrong or lacks something.
    Input = 3,
    /// The network, a server or a mirror failed (or sent what the pin does not match).
    Network = 4,
    /// A build step (configure, make, a library, the bundle) failed.
    Build = 5,
    /// The tests ran and failed.
    Test = 6,
    /// The machine lacks a prerequisite, space or permission (doctor's blocking problems).
    Host = 7,
    /// A step ran longer than --step-timeout and was stopped.
    Timeout = 124,
    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the run.
    Interrupted = 130,
}

impl Failure {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// An error with its kind; displays exactly as the error it carries, and has its causes.
#[derive(Debug)]
pub struct Tagged {
    pub failure: Failure,
    inner: Box<dyn std::error::Error + Send + Sync>,
}

impl std::fmt::Display for Tagged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl std::error::Error for Tagged {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// Gives an error a kind (an inner, more specific kind still wins).
pub fn tag(failure: Failure, error: anyhow::Error) -> anyhow::Error {
    anyhow::Error::new(Tagged { failure, inner: error.into() })
}

/// Shorthand: a new error of a kind.
pub fn fail(failure: Failure, message: String) -> anyhow::Error {
    tag(failure, anyhow::Error::msg(message))
}

/// Tags the error of a result.
pub trait TagResult<T> {
    fn tagged(self, failure: Failure) -> anyhow::Result<T>;
}

impl<T> TagResult<T> for anyhow::Result<T> {
    fn tagged(self, failure: Failure) -> anyhow::Result<T> {
        self.map_err(|e| tag(failure, e))
    }
}

/// The kind of an error: the innermost one its chain carries, or None (exit 1).
pub fn classify(error: &anyhow::Error) -> Option<Failure> {
    let mut found = None;
    for cause in error.chain() {
        if let Some(kind) = kind_of(cause) {
            found = Some(kind);
        }
    }
    found
}

fn kind_of(cause: &(dyn std::error::Error + 'static)) -> Option<Failure> {
    use crate::fetch::error::FetchError;
    if let Some(tagged) = cause.downcast_ref::<Tagged>() {
        // The error it carries is not in the chain (its causes are): look at it too.
        return Some(kind_of(tagged.inner.as_ref()).unwrap_or(tagged.failure));
    }
    if let Some(fault) = cause.downcast_ref::<FetchError>() {
        return match fault {
            FetchError::Io { .. } => Some(Failure::Host),
            _ => Some(Failure::Network),
        };
    }
    if cause.downcast_ref::<crate::manifest::ManifestError>().is_some() {
        return Some(Failure::Input);
    }
    if cause.downcast_ref::<reqwest::Error>().is_some() {
        return Some(Failure::Network);
    }
    if let Some(step) = cause.downcast_ref::<crate::process::StepFailed>() {
        return Some(step.failure());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_innermost_kind_wins_and_the_message_is_unchanged() {
        let network = anyhow::Error::new(crate::fetch::error::FetchError::Network {
            url: "http://127.0.0.1:9/x".into(),
            message: "connection refused".into(),
        });
        let error = tag(Failure::Input, network.context("fetch the source"));
        assert_eq!(classify(&error), Some(Failure::Network));
        assert_eq!(format!("{error:#}"), "fetch the source: network error on http://127.0.0.1:9/x: connection refused");
        let wrapped = Err::<(), _>(fail(Failure::Usage, "--python three".into())).context("bootstrap");
        assert_eq!(classify(&wrapped.unwrap_err()), Some(Failure::Usage));
        assert_eq!(classify(&anyhow::anyhow!("plain")), None);
    }
}
