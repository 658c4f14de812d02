//! Safe extraction of verified archives (tar.gz, tar.xz, tar.bz2, zip).
//!
//! The archive's sha256 is checked on the open file before a byte is extracted. Every entry path
//! must be made of normal components; every entry's directory, and every symbolic link, must
//! resolve inside the destination through the links already extracted, and once more when the
//! whole tree is there (paths.rs). Hard links must name files inside, device files are refused,
//! setuid, setgid and sticky bits are dropped, and the bytes unpacked are bounded. The archive is
//! unpacked into a temporary directory beside the destination and renamed into place, so a
//! failed extraction leaves nothing.

mod error;
mod paths;
mod readers;

use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use fs_err::{self as fs, File};

use crate::files::sha256_reader;
use crate::manifest::ArchiveFormat;
use crate::text::printable_path;
pub use error::ExtractError;
use paths::{check_all_links, check_parent, check_symlink, checked_relative, single_top_directory};
use readers::{Bounded, Pipelined, TooLarge};

/// The unpacked size allowed when the manifest names none: this many times the archive's size…
pub const DEFAULT_RATIO: u64 = 64;
/// …but never less than this.
pub const DEFAULT_FLOOR: u64 = 256 << 20;

/// What the archive must be: its sha256 (checked before extraction), and the most bytes it may
/// unpack to.
#[derive(Debug, Clone)]
pub struct Check {
    pub sha256: Option<String>,
    pub max_unpacked: Option<u64>,
}

/// The default bound for an archive of `size` bytes.
pub fn default_limit(size: u64) -> u64 {
    size.saturating_mul(DEFAULT_RATIO).max(DEFAULT_FLOOR)
}

/// Extracts `archive` into `dest`, which must not exist yet. With `strip`, the archive must hold
/// exactly that one top-level directory, and its contents become `dest`.
pub fn extract(
    archive: &Path,
    format: ArchiveFormat,
    strip: Option<&str>,
    dest: &Path,
    check: &Check,
) -> Result<(), ExtractError> {
    let parent = crate::files::parent(dest).map_err(|_| ExtractError::io(dest, io::ErrorKind::NotFound.into()))?;
    fs::create_dir_all(parent).map_err(|e| ExtractError::io(parent, e))?;
    let temp =
        tempfile::Builder::new().prefix(".extract-").tempdir_in(parent).map_err(|e| ExtractError::io(parent, e))?;
    let root = temp.path().join("root");
    fs::create_dir(&root).map_err(|e| ExtractError::io(&root, e))?;
    let mut file = File::open(archive).map_err(|e| ExtractError::io(archive, e))?.into_parts().0;
    let size = file.metadata().map_err(|e| ExtractError::io(archive, e))?.len();
    if let Some(expected) = &check.sha256 {
        verify(&mut file, archive, expected)?;
    }
    let limit = check.max_unpacked.unwrap_or_else(|| default_limit(size));
    let reader = BufReader::with_capacity(1 << 20, file);
    // Decompression runs on its own thread while this one writes files, as `tar xJf` pipes xz.
    let bounded = |decoder| Bounded::new(Pipelined::new(decoder), limit);
    match format {
        ArchiveFormat::TarGz => unpack_tar(bounded(Box::new(flate2::read::MultiGzDecoder::new(reader))), &root),
        ArchiveFormat::TarXz => unpack_tar(bounded(Box::new(xz2::read::XzDecoder::new_multi_decoder(reader))), &root),
        ArchiveFormat::TarBz2 => unpack_tar(bounded(Box::new(bzip2::read::MultiBzDecoder::new(reader))), &root),
        ArchiveFormat::Zip => unpack_zip(reader.into_inner(), &root, limit),
        ArchiveFormat::File => return Err(ExtractError::NotAnArchive),
    }?;
    check_all_links(&root)?;
    let content = match strip {
        Some(top) => single_top_directory(&root, top)?,
        None => root,
    };
    fs::rename(&content, dest).map_err(|e| ExtractError::io(dest, e))?;
    Ok(())
}

/// Hashes the open file and rewinds it: nothing is extracted from bytes that do not match.
fn verify(file: &mut std::fs::File, archive: &Path, expected: &str) -> Result<(), ExtractError> {
    let actual = sha256_reader(file).map_err(|e| ExtractError::io(archive, e))?;
    if actual != expected {
        return Err(ExtractError::Mismatch { expected: expected.to_owned(), actual });
    }
    file.rewind().map_err(|e| ExtractError::io(archive, e))
}

/// What an error reading through the bounded decoder means: the bound, or a damaged archive.
fn unpack_error(error: io::Error, what: &str) -> ExtractError {
    // The tar crate wraps the reader's error in its own; look through the whole chain.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    let mut too_large = None;
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<TooLarge>() {
            too_large = Some(found.0);
            break;
        }
        cause = match current.downcast_ref::<io::Error>().and_then(|e| e.get_ref()) {
            Some(inner) => Some(inner as _),
            None => current.source(),
        };
    }
    match too_large {
        Some(limit) => ExtractError::TooLarge { limit },
        None => ExtractError::Damaged { message: format!("{what}: {error}") },
    }
}

fn unpack_tar(reader: impl Read, root: &Path) -> Result<(), ExtractError> {
    let mut archive = tar::Archive::new(reader);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(false);
    // No setuid, setgid or sticky bit survives extraction.
    archive.set_mask(0o7000);
    for entry in archive.entries().map_err(|e| unpack_error(e, "read the archive"))? {
        let mut entry = entry.map_err(|e| unpack_error(e, "read an entry"))?;
        let raw_path = entry.path().map_err(|e| unpack_error(e, "read an entry's path"))?.into_owned();
        let path = checked_relative(&raw_path)?;
        if path.as_os_str().is_empty() {
            continue;
        }
        check_parent(root, &path)?;
        check_tar_entry(&mut entry, root, &path)?;
        // unpack_in checks once more that the parent, after following links, is inside the root.
        match entry.unpack_in(root) {
            Ok(true) => {}
            Ok(false) => {
                return Err(ExtractError::unsafe_entry(&raw_path, "it would be written outside the destination"))
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(ExtractError::unsafe_entry(&raw_path, "it is in the archive twice"))
            }
            Err(e) => return Err(unpack_error(e, &format!("unpack `{}`", printable_path(&raw_path)))),
        }
    }
    Ok(())
}

/// Refuses devices and fifos, links that lead outside, and hard links to anything but a file
/// already extracted.
fn check_tar_entry<R: Read>(entry: &mut tar::Entry<R>, root: &Path, path: &Path) -> Result<(), ExtractError> {
    let link = |entry: &tar::Entry<R>| -> Result<PathBuf, ExtractError> {
        match entry.link_name() {
            Ok(Some(target)) => Ok(target.into_owned()),
            _ => Err(ExtractError::unsafe_entry(path, "a link without a target")),
        }
    };
    match entry.header().entry_type() {
        tar::EntryType::Symlink => check_symlink(root, path, &link(entry)?),
        tar::EntryType::Link => {
            let target = checked_relative(&link(entry)?)?;
            let resolved = paths::resolve(root, &[], &target).map(PathBuf::from_iter);
            match resolved.map(|r| std::fs::symlink_metadata(root.join(r))) {
                Some(Ok(meta)) if meta.is_file() => Ok(()),
                _ => Err(ExtractError::unsafe_entry(path, "a hard link to something that is not a file inside")),
            }
        }
        tar::EntryType::Block | tar::EntryType::Char | tar::EntryType::Fifo => {
            Err(ExtractError::unsafe_entry(path, "a device file or fifo"))
        }
        _ => Ok(()),
    }
}

fn unpack_zip(file: std::fs::File, root: &Path, limit: u64) -> Result<(), ExtractError> {
    let damaged = |e: zip::result::ZipError| ExtractError::Damaged { message: e.to_string() };
    let mut zip = zip::ZipArchive::new(file).map_err(damaged)?;
    let mut total = 0u64;
    for index in 0..zip.len() {
        let mut member = zip.by_index(index).map_err(damaged)?;
        let path = checked_relative(Path::new(member.name()))?;
        if path.as_os_str().is_empty() {
            continue;
        }
        check_parent(root, &path)?;
        let target = root.join(&path);
        let io = |e: io::Error| ExtractError::io(&target, e);
        if member.is_dir() {
            fs::create_dir_all(&target).map_err(io)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let (is_symlink, mode) = (member.is_symlink(), member.unix_mode());
        // One bound for the whole archive: the count carries over from member to member.
        let mut bounded = Bounded::starting_at(&mut member, limit, total);
        if is_symlink {
            let mut link = String::new();
            bounded.read_to_string(&mut link).map_err(|e| unpack_error(e, "read a link"))?;
            total = bounded.count();
            check_symlink(root, &path, Path::new(&link))?;
            std::os::unix::fs::symlink(&link, &target).map_err(io)?;
            continue;
        }
        let mut out = std::fs::File::create_new(&target)
            .map_err(|_| ExtractError::unsafe_entry(&path, "it is in the archive twice"))?;
        io::copy(&mut bounded, &mut out).map_err(|e| unpack_error(e, "unpack a member"))?;
        total = bounded.count();
        if let Some(mode) = mode {
            use std::os::unix::fs::PermissionsExt;
            // Permission bits only: no setuid, setgid or sticky bit.
            fs::set_permissions(&target, std::fs::Permissions::from_mode(mode & 0o777)).map_err(io)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
