//! Per-step stamps: a step is skipped when the key of its inputs equals the stamp's. The stamp is
//! removed before a step runs and written (atomically) only after it succeeds.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::files::{hex, remove_file_if_exists, write_atomic};

pub struct Stamps {
    dir: PathBuf,
}

impl Stamps {
    pub fn new(dir: &Path) -> Stamps {
        Stamps { dir: dir.to_owned() }
    }

    fn path(&self, step: &str) -> PathBuf {
        self.dir.join(format!("{}.stamp", step.replace([' ', '/'], "-")))
    }

    /// Whether the step's stamp holds `key`; text that is not a key is a stamp out of date, a
    /// link or directory at its name an error (crate::workdir::read_own_file).
    pub fn is_current(&self, step: &str, key: &str) -> anyhow::Result<bool> {
        let stored = crate::workdir::read_own_file(&self.path(step))?.unwrap_or_default();
        Ok(String::from_utf8_lossy(&stored).trim() == key)
    }

    pub fn invalidate(&self, step: &str) -> anyhow::Result<()> {
        remove_file_if_exists(&self.path(step))
    }

    pub fn record(&self, step: &str, key: &str) -> anyhow::Result<()> {
        write_atomic(&self.path(step), format!("{key}\n"))
    }
}

/// Hashes the parts that decide a step's output.
pub fn key<I: IntoIterator<Item = S>, S: AsRef<str>>(parts: I) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_ref());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_current_only_after_recording_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let stamps = Stamps::new(dir.path());
        let k = key(["configure", "--host=wasm32-wasip1"]);
        assert!(!stamps.is_current("configure host", &k).unwrap());
        stamps.record("configure host", &k).unwrap();
        assert!(stamps.is_current("configure host", &k).unwrap());
        assert!(!stamps.is_current("configure host", &key(["configure"])).unwrap());
        stamps.invalidate("configure host").unwrap();
        assert!(!stamps.is_current("configure host", &k).unwrap());
        assert_ne!(key(["ab", "c"]), key(["a", "bc"]));
    }
}
