//! File-system helpers used everywhere: atomic writes, removal that tolerates absence, and
//! hashing. Errors name their path (through fs-err).

use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::text::PathText;
use anyhow::Context;
use fs_err as fs;
use sha2::{Digest, Sha256};

/// Writes `contents` to `path` through a fresh temporary file in the same directory and a rename,
/// so readers see the old file or the new one, never a part. The temporary file is created
/// exclusively (a link planted at its name is not followed), and a link at `path` is replaced,
/// not followed. An existing file keeps its permissions; a new one gets 0644.
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> anyhow::Result<()> {
    let mode = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => meta.permissions().mode() & 0o7777,
        _ => 0o644,
    };
    write_atomic_mode(path, contents, mode)
}

/// [`write_atomic`] with the new file's permissions given.
pub fn write_atomic_mode(path: &Path, contents: impl AsRef<[u8]>, mode: u32) -> anyhow::Result<()> {
    let dir = parent(path)?;
    fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("create a temporary file in {}", dir.shown()))?;
    temp.write_all(contents.as_ref()).with_context(|| format!("write {}", temp.path().shown()))?;
    temp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
    temp.persist(path).map_err(|e| e.error).with_context(|| format!("write {}", path.shown()))?;
    Ok(())
}

/// Copies `source` to `dest` through a temporary file and a rename (the same file system:
/// a hard link where possible, else a copy), so `dest` is never half-written.
pub fn copy_atomic(source: &Path, dest: &Path) -> anyhow::Result<()> {
    let dir = parent(dest)?;
    fs::create_dir_all(dir)?;
    let temp = tempfile::Builder::new()
        .prefix(".copy-")
        .tempdir_in(dir)
        .with_context(|| format!("create a temporary directory in {}", dir.shown()))?;
    let staged = temp.path().join("file");
    if std::fs::hard_link(source, &staged).is_err() {
        fs::copy(source, &staged)?;
    }
    fs::rename(&staged, dest)?;
    Ok(())
}

/// Options that refuse to open a symbolic link at the final component (O_NOFOLLOW): for every
/// file this tool creates or appends to in place (partial downloads, logs, lock files).
pub fn no_follow() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.custom_flags(libc::O_NOFOLLOW);
    options
}

/// A regular file's bytes (a link to one is followed), at most `limit` of them; `None` when
/// nothing is there. A directory, device, FIFO or socket is refused before it is opened, so
/// nothing can make a read block or run without end.
pub fn read_regular(path: &Path, limit: u64) -> anyhow::Result<Option<Vec<u8>>> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("inspect {}", path.shown())),
    };
    if !meta.is_file() {
        anyhow::bail!("{} is not a regular file (a directory, device, FIFO or socket)", path.shown());
    }
    if meta.len() > limit {
        anyhow::bail!("{} is larger than {limit} bytes", path.shown());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        anyhow::bail!("{} is larger than {limit} bytes", path.shown());
    }
    Ok(Some(bytes))
}

/// [`read_regular`] as UTF-8 text (bytes that are not are shown as U+FFFD).
pub fn read_text_regular(path: &Path, limit: u64) -> anyhow::Result<Option<String>> {
    Ok(read_regular(path, limit)?.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// Removes a file (or a link) if it exists; absence is not an error.
pub fn remove_file_if_exists(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e).with_context(|| format!("remove {}", path.shown())),
        _ => Ok(()),
    }
}

/// Removes a directory tree (or a file or link at that path) if it exists.
pub fn remove_tree_if_exists(path: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path).map_err(Into::into),
        Ok(_) => remove_file_if_exists(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("inspect {}", path.shown())),
    }
}

pub fn parent(path: &Path) -> anyhow::Result<&Path> {
    path.parent().filter(|p| !p.as_os_str().is_empty()).with_context(|| format!("{} has no parent", path.shown()))
}

/// Bytes free for an unprivileged writer on the file system that holds `path` (or, if it does not
/// exist yet, its nearest existing ancestor).
pub fn free_bytes(path: &Path) -> anyhow::Result<u64> {
    let existing = path.ancestors().find(|p| p.exists()).unwrap_or(Path::new("/"));
    let text = std::ffi::CString::new(existing.as_os_str().as_encoded_bytes())
        .with_context(|| format!("{} holds a NUL byte", existing.shown()))?;
    // SAFETY: statvfs writes into the zeroed struct we own; the path is a valid C string.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(text.as_ptr(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error()).with_context(|| format!("statvfs {}", existing.shown()));
    }
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// The bytes of the regular files under `path` (links not followed); 0 if it is absent.
pub fn tree_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return if meta.is_file() { meta.len() } else { 0 };
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries.flatten().map(|entry| tree_bytes(&entry.path())).sum()
}

/// Lowercase hex of a byte string (a digest).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 of a file.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    sha256_reader(&mut fs::File::open(path)?)
}

/// The sha256 of everything `reader` yields, read in 1 MiB pieces.
pub fn sha256_reader(reader: &mut impl Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_keeps_permissions_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("python.sh");
        write_atomic_mode(&path, "#!/bin/sh\n", 0o755).unwrap();
        write_atomic(&path, "#!/bin/sh\nexit 0\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "#!/bin/sh\nexit 0\n");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o755);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["python.sh"]);
    }

    #[test]
    fn an_atomic_write_replaces_a_link_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "keep").unwrap();
        let link = dir.path().join("stamp");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        write_atomic(&link, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    }

    #[test]
    fn no_follow_refuses_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, "keep").unwrap();
        let link = dir.path().join("app.log");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        assert!(no_follow().append(true).create(true).open(&link).is_err());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
    }

    #[test]
    fn removing_what_is_absent_is_not_an_error_but_other_failures_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        remove_file_if_exists(&dir.path().join("missing")).unwrap();
        remove_tree_if_exists(&dir.path().join("missing")).unwrap();
        let err = fs::read(dir.path().join("missing")).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
    }

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
