//! What can go wrong while extracting, each with what to do about it.

use std::io;
use std::path::Path;

use crate::text::printable_path;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The file does not match the sha256 it was cached under.
    #[error("the file no longer matches its sha256 (expected {expected}, got {actual})")]
    Mismatch { expected: String, actual: String },
    /// An entry that would escape the destination, or is otherwise refused.
    #[error("unsafe entry `{entry}`: {why}")]
    Unsafe { entry: String, why: String },
    #[error("the archive is damaged or not in the format the manifest names: {message}")]
    Damaged { message: String },
    #[error("the archive unpacks to more than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("expected a single top-level directory `{expected}`, found: {found}")]
    Layout { expected: String, found: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("the file is not an archive (format `file`)")]
    NotAnArchive,
}

impl ExtractError {
    pub fn unsafe_entry(entry: &Path, why: &str) -> ExtractError {
        ExtractError::Unsafe { entry: printable_path(entry), why: why.to_owned() }
    }

    pub fn io(path: &Path, error: io::Error) -> ExtractError {
        ExtractError::Io { path: printable_path(path), message: error.to_string() }
    }

    /// What the user should do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            ExtractError::Mismatch { .. } => {
                "the cached copy changed after it was verified; it is fetched again (run again if this was the second try)"
            }
            ExtractError::Unsafe { .. } => {
                "nothing was installed; do not use this archive: check where the manifest entry and the mirror's copy came from"
            }
            ExtractError::Damaged { .. } => {
                "nothing was installed; check the entry's `format` and `sha256`, or the mirror's copy"
            }
            ExtractError::TooLarge { .. } => {
                "nothing was installed; if the size is expected, set `unpacked_size` (bytes) on the manifest entry, in an --overlay"
            }
            ExtractError::Layout { .. } => "nothing was installed; fix the entry's `strip` to the archive's top directory",
            ExtractError::Io { .. } => "nothing was installed; check free space and permissions there",
            ExtractError::NotAnArchive => "give the entry an archive `format` (tar.gz, tar.xz, tar.bz2, zip)",
        }
    }
}
