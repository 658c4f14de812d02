//! The download cache: content-addressed by sha256, one directory per file.
//!
//! ```text
//! CACHE/downloads/<sha256>/<file>          the verified file
//! CACHE/downloads/<sha256>/<file>.partial  an unfinished download (kept on a network error)
//! CACHE/downloads/<sha256>/stamp.json      written last, after verification
//! CACHE/downloads/<sha256>/.lock           held while one process fetches the file
//! ```
//!
//! A cache hit is trusted when the stamp's size and mtime still match the file; otherwise, or with
//! `--verify`, the file is hashed again.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::manifest::Artifact;

#[derive(Debug, Clone)]
pub struct Cache {
    pub root: PathBuf,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Stamp {
    sha256: String,
    size: u64,
    mtime_ns: u128,
}

/// Holds an exclusive lock on one cache entry until dropped.
pub struct EntryLock {
    _file: File,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    pub fn entry_dir(&self, artifact: &Artifact) -> PathBuf {
        self.root.join("downloads").join(&artifact.sha256)
    }

    pub fn file_path(&self, artifact: &Artifact) -> PathBuf {
        self.entry_dir(artifact).join(artifact.file_name())
    }

    pub fn partial_path(&self, artifact: &Artifact) -> PathBuf {
        self.entry_dir(artifact).join(format!("{}.partial", artifact.file_name()))
    }

    fn stamp_path(&self, artifact: &Artifact) -> PathBuf {
        self.entry_dir(artifact).join("stamp.json")
    }

    /// Blocks until this process holds the entry's lock (another process may be fetching it).
    pub fn lock(&self, artifact: &Artifact) -> io::Result<EntryLock> {
        let dir = self.entry_dir(artifact);
        fs::create_dir_all(&dir)?;
        let file = File::options().create(true).truncate(false).write(true).open(dir.join(".lock"))?;
        if file.try_lock().is_err() {
            eprintln!("fetch: {artifact}: waiting for another process that is fetching it");
            file.lock()?;
        }
        Ok(EntryLock { _file: file })
    }

    /// The verified file, if the cache holds it. With `full`, the file is hashed again; a file that
    /// fails the check is removed so that it is fetched again.
    pub fn lookup(&self, artifact: &Artifact, full: bool) -> io::Result<Option<PathBuf>> {
        let path = self.file_path(artifact);
        let Ok(meta) = fs::metadata(&path) else {
            return Ok(None);
        };
        let stamp: Option<Stamp> =
            fs::read(self.stamp_path(artifact)).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let cheap_match = stamp.as_ref().is_some_and(|s| {
            s.sha256 == artifact.sha256 && s.size == meta.len() && Some(s.mtime_ns) == mtime_ns(&path)
        });
        if cheap_match && !full {
            return Ok(Some(path));
        }
        let size_ok = artifact.size.is_none_or(|size| size == meta.len());
        if size_ok && sha256_file(&path)? == artifact.sha256 {
            self.write_stamp(artifact)?;
            return Ok(Some(path));
        }
        eprintln!("fetch: {artifact}: the cached copy at {} is corrupt; fetching it again", path.display());
        self.remove(artifact)?;
        Ok(None)
    }

    /// Moves a verified partial file into place, then writes the stamp (last).
    pub fn commit(&self, artifact: &Artifact, verified: &Path) -> io::Result<PathBuf> {
        let path = self.file_path(artifact);
        fs::rename(verified, &path)?;
        self.write_stamp(artifact)?;
        Ok(path)
    }

    pub fn remove(&self, artifact: &Artifact) -> io::Result<()> {
        for path in [self.stamp_path(artifact), self.file_path(artifact), self.partial_path(artifact)] {
            match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn write_stamp(&self, artifact: &Artifact) -> io::Result<()> {
        let path = self.file_path(artifact);
        let stamp = Stamp {
            sha256: artifact.sha256.clone(),
            size: fs::metadata(&path)?.len(),
            mtime_ns: mtime_ns(&path).unwrap_or(0),
        };
        let stamp_path = self.stamp_path(artifact);
        let temp = stamp_path.with_extension("json.tmp");
        fs::write(&temp, serde_json::to_vec(&stamp).expect("stamp serializes"))?;
        fs::rename(temp, stamp_path)
    }
}

fn mtime_ns(path: &Path) -> Option<u128> {
    fs::metadata(path).ok()?.modified().ok()?.duration_since(UNIX_EPOCH).ok().map(|d| d.as_nanos())
}

pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
