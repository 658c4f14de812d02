//! Safe extraction of verified archives (tar.gz, tar.xz, tar.bz2, zip).
//!
//! Every entry path must be made of normal components only. Symlinks and hardlinks must point
//! inside the destination, and device files are refused. The archive is unpacked into a temporary
//! directory beside the destination and renamed into place, so a failed extraction leaves nothing.

use std::io::{self, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use fs_err::{self as fs, File};

use crate::manifest::ArchiveFormat;

/// Extracts `archive` into `dest`, which must not exist yet. With `strip`, the archive must hold
/// exactly that one top-level directory, and its contents become `dest`.
pub fn extract(archive: &Path, format: ArchiveFormat, strip: Option<&str>, dest: &Path) -> anyhow::Result<()> {
    let parent = crate::files::parent(dest)?;
    fs::create_dir_all(parent)?;
    let temp = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(parent)
        .with_context(|| format!("create a temporary directory in {}", parent.display()))?;
    let root = temp.path().join("root");
    fs::create_dir(&root)?;
    let file = File::open(archive)?;
    let reader = BufReader::with_capacity(1 << 20, file);
    // Decompression runs on its own thread while this one writes files, as `tar xJf` pipes xz.
    match format {
        ArchiveFormat::TarGz => unpack_tar(Pipelined::new(flate2::read::GzDecoder::new(reader)), &root),
        ArchiveFormat::TarXz => unpack_tar(Pipelined::new(xz2::read::XzDecoder::new_multi_decoder(reader)), &root),
        ArchiveFormat::TarBz2 => unpack_tar(Pipelined::new(bzip2::read::MultiBzDecoder::new(reader)), &root),
        ArchiveFormat::Zip => unpack_zip(archive, &root),
        ArchiveFormat::File => bail!("{} is not an archive", archive.display()),
    }
    .with_context(|| format!("extract {}", archive.display()))?;
    let content = match strip {
        Some(top) => single_top_directory(&root, top).with_context(|| format!("extract {}", archive.display()))?,
        None => root,
    };
    fs::rename(&content, dest)?;
    Ok(())
}

/// A reader whose source is read on a separate thread, a few chunks ahead.
struct Pipelined {
    chunks: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    offset: usize,
}

impl Pipelined {
    const CHUNK: usize = 1 << 20;

    fn new(mut source: impl Read + Send + 'static) -> Pipelined {
        let (sender, chunks) = std::sync::mpsc::sync_channel(4);
        std::thread::spawn(move || loop {
            let mut chunk = vec![0; Self::CHUNK];
            let result = read_full(&mut source, &mut chunk).map(|n| {
                chunk.truncate(n);
                chunk
            });
            let done = !matches!(&result, Ok(c) if !c.is_empty());
            if sender.send(result).is_err() || done {
                return;
            }
        });
        Pipelined { chunks, current: Vec::new(), offset: 0 }
    }
}

/// Reads until `buffer` is full or the source ends.
fn read_full(source: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match source.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

impl Read for Pipelined {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.offset == self.current.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.offset);
        out[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

fn single_top_directory(root: &Path, expected: &str) -> anyhow::Result<PathBuf> {
    let names: Vec<String> = fs::read_dir(root)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<_>>()?;
    if names != [expected] || !root.join(expected).is_dir() {
        bail!("expected a single top-level directory `{expected}`, found: {}", names.join(", "));
    }
    Ok(root.join(expected))
}

/// A relative path made only of normal components (`.` is dropped).
fn checked_relative(path: &Path) -> anyhow::Result<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => bail!("unsafe path `{}` in archive (absolute or with `..`)", path.display()),
        }
    }
    Ok(out)
}

/// Resolves a link target against the link's directory, lexically, and checks it stays inside.
fn link_stays_inside(link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: i64 = link.components().count() as i64 - 1;
    for component in target.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

fn unpack_tar(reader: impl Read, root: &Path) -> anyhow::Result<()> {
    let mut archive = tar::Archive::new(reader);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(false);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw_path = entry.path()?.into_owned();
        let path = checked_relative(&raw_path)?;
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Symlink => {
                let target = entry.link_name()?.context("symlink without a target")?.into_owned();
                if !link_stays_inside(&path, &target) {
                    bail!("symlink `{}` -> `{}` points outside the destination", path.display(), target.display());
                }
            }
            tar::EntryType::Link => {
                let target = entry.link_name()?.context("hardlink without a target")?.into_owned();
                checked_relative(&target)
                    .with_context(|| format!("hardlink `{}` points outside the destination", path.display()))?;
            }
            tar::EntryType::Block | tar::EntryType::Char | tar::EntryType::Fifo => {
                bail!("device or fifo entry `{}` refused", path.display());
            }
            _ => {}
        }
        if path.as_os_str().is_empty() {
            continue;
        }
        // unpack_in re-checks that the parent, after following symlinks, is inside the root.
        if !entry.unpack_in(root)? {
            bail!("entry `{}` would be written outside the destination", raw_path.display());
        }
    }
    Ok(())
}

fn unpack_zip(archive: &Path, root: &Path) -> anyhow::Result<()> {
    let mut zip = zip::ZipArchive::new(File::open(archive)?)?;
    for index in 0..zip.len() {
        let mut file = zip.by_index(index)?;
        let path = checked_relative(Path::new(file.name()))?;
        let target = root.join(&path);
        if file.is_dir() {
            fs::create_dir_all(&target)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        if file.is_symlink() {
            let mut link = String::new();
            file.read_to_string(&mut link)?;
            if !link_stays_inside(&path, Path::new(&link)) {
                bail!("symlink `{}` -> `{link}` points outside the destination", path.display());
            }
            std::os::unix::fs::symlink(&link, &target)?;
            continue;
        }
        let mut out = File::create_new(&target).with_context(|| format!("create {}", target.display()))?;
        io::copy(&mut file, &mut out)?;
        if let Some(mode) = file.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&target, std::fs::Permissions::from_mode(mode & 0o777))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
