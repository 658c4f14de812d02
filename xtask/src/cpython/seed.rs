//! Seeded configure: what a configure found is kept in the tool's cache
//! (`CACHE/configure/<key>.cache`, autoconf's own `config.cache` with every host directory a
//! placeholder) and given to the next configure with the same inputs, in any work dir, through
//! `-C`. Most of configure's checks are then answered from the cache instead of by compiling,
//! linking or running a test program.
//!
//! The key covers what decides the answers: the step's key parts with host directories in their
//! stable names (so the source's identity, the toolchain's, the environment, the arguments and
//! the libraries), the configure script and the config.site as bytes, and for the build Python
//! the host compiler's `--version`. A seed that cannot be read is a cold configure, never a
//! failure.

use std::path::{Path, PathBuf};

use super::stamp;
use crate::files::{read_regular, sha256_reader, write_atomic};
use crate::workdir::PathMap;

/// The seeds of one build: where they are kept and how its directories map.
#[derive(Clone)]
pub struct Seeds<'a> {
    pub dir: PathBuf,
    pub paths: &'a PathMap,
}

/// The largest config.cache planted (CPython's is about 40 KB).
const SEED_LIMIT: u64 = 4 << 20;

impl Seeds<'_> {
    /// The seed key of a configure step: `parts` are its step key's, `files` what it reads from
    /// the tree (configure, the config.site), `more` any further identity (the host compiler).
    pub fn key(&self, parts: &[String], files: &[&Path], more: &str) -> anyhow::Result<String> {
        let mut all: Vec<String> = parts.iter().map(|part| self.paths.rewrite(part)).collect();
        for file in files {
            let digest = match read_regular(file, 64 << 20)? {
                Some(bytes) => sha256_reader(&mut bytes.as_slice())?,
                None => "absent".into(),
            };
            all.push(digest);
        }
        all.push(more.to_owned());
        Ok(stamp::key(all))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.cache"))
    }

    /// Writes the seed for `key` as `build/config.cache`, in this build's directories; whether
    /// there was one.
    pub fn plant(&self, key: &str, build: &Path) -> anyhow::Result<bool> {
        let Ok(Some(bytes)) = read_regular(&self.path(key), SEED_LIMIT) else { return Ok(false) };
        let Ok(text) = String::from_utf8(bytes) else { return Ok(false) };
        write_atomic(&build.join("config.cache"), self.paths.resolve_placeholders(&text))?;
        Ok(true)
    }

    /// Keeps what configure wrote into `build/config.cache` as the seed for `key`.
    pub fn keep(&self, key: &str, build: &Path) -> anyhow::Result<()> {
        let Some(bytes) = read_regular(&build.join("config.cache"), SEED_LIMIT)? else { return Ok(()) };
        let text = String::from_utf8_lossy(&bytes);
        fs_err::create_dir_all(&self.dir)?;
        write_atomic(&self.path(key), self.paths.to_placeholders(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::PathText;

    #[test]
    fn a_seed_kept_in_one_work_dir_is_planted_in_anothers_paths() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path();
        let map = |work: &str| {
            PathMap::new(&root.join(work), &root.join("cache"), &root.join("cache/deps"), &root.join("cache/tc"))
        };
        let (one, two) = (map("one"), map("two"));
        let seeds = |paths| Seeds { dir: root.join("cache/configure"), paths };
        let parts = |work: &str| vec![format!("CC={}/bin/cc", root.join(work).plain())];
        let key = seeds(&one).key(&parts("one"), &[], "cc 12").unwrap();
        assert_eq!(key, seeds(&two).key(&parts("two"), &[], "cc 12").unwrap(), "the same key in another work dir");
        assert_ne!(key, seeds(&two).key(&parts("two"), &[], "cc 13").unwrap());
        for dir in ["one", "two"] {
            fs_err::create_dir_all(root.join(dir)).unwrap();
        }
        let written =
            format!("ac_cv_prog_PYTHON=${{ac_cv_prog_PYTHON={}/build-python/python}}\n", root.join("one").plain());
        fs_err::write(root.join("one/config.cache"), &written).unwrap();
        assert!(!seeds(&two).plant(&key, &root.join("two")).unwrap(), "nothing kept yet");
        seeds(&one).keep(&key, &root.join("one")).unwrap();
        assert!(seeds(&two).plant(&key, &root.join("two")).unwrap());
        let planted = fs_err::read_to_string(root.join("two/config.cache")).unwrap();
        assert_eq!(planted, written.replace(&root.join("one").plain(), &root.join("two").plain()));
    }
}
