//! Safe extraction of verified archives (tar.gz, tar.xz, tar.bz2, zip).
//!
//! Every entry path must be made of normal components only. Symlinks and hardlinks must point
//! inside the destination, and device files are refused. The archive is unpacked into a temporary
//! directory beside the destination and renamed into place, so a failed extraction leaves nothing.

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    TarGz,
    TarXz,
    TarBz2,
    Zip,
    /// A single file used as is (a wheel, a script).
    File,
}

impl ArchiveFormat {
    pub fn from_name(name: &str) -> Option<ArchiveFormat> {
        Some(match name {
            "tar.gz" | "tgz" => ArchiveFormat::TarGz,
            "tar.xz" | "txz" => ArchiveFormat::TarXz,
            "tar.bz2" | "tbz2" => ArchiveFormat::TarBz2,
            "zip" => ArchiveFormat::Zip,
            "file" => ArchiveFormat::File,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ArchiveFormat::TarGz => "tar.gz",
            ArchiveFormat::TarXz => "tar.xz",
            ArchiveFormat::TarBz2 => "tar.bz2",
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::File => "file",
        }
    }

    pub fn from_file_name(name: &str) -> ArchiveFormat {
        let lower = name.to_ascii_lowercase();
        for (suffix, format) in [
            (".tar.gz", ArchiveFormat::TarGz),
            (".tgz", ArchiveFormat::TarGz),
            (".tar.xz", ArchiveFormat::TarXz),
            (".txz", ArchiveFormat::TarXz),
            (".tar.bz2", ArchiveFormat::TarBz2),
            (".tbz2", ArchiveFormat::TarBz2),
            (".zip", ArchiveFormat::Zip),
        ] {
            if lower.ends_with(suffix) {
                return format;
            }
        }
        ArchiveFormat::File
    }
}

/// Extracts `archive` into `dest`, which must not exist yet. With `strip`, the archive must hold
/// exactly that one top-level directory, and its contents become `dest`.
pub fn extract(
    archive: &Path,
    format: ArchiveFormat,
    strip: Option<&str>,
    dest: &Path,
) -> anyhow::Result<()> {
    let parent = dest
        .parent()
        .context("destination has no parent directory")?;
    fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
    let temp = tempfile::Builder::new()
        .prefix(".extract-")
        .tempdir_in(parent)
        .with_context(|| format!("create a temporary directory in {}", parent.display()))?;
    let root = temp.path().join("root");
    fs::create_dir(&root)?;
    let file = File::open(archive).with_context(|| format!("open {}", archive.display()))?;
    let reader = BufReader::with_capacity(1 << 20, file);
    match format {
        ArchiveFormat::TarGz => unpack_tar(flate2::read::GzDecoder::new(reader), &root),
        ArchiveFormat::TarXz => unpack_tar(xz2::read::XzDecoder::new_multi_decoder(reader), &root),
        ArchiveFormat::TarBz2 => unpack_tar(bzip2::read::MultiBzDecoder::new(reader), &root),
        ArchiveFormat::Zip => unpack_zip(archive, &root),
        ArchiveFormat::File => bail!("{} is not an archive", archive.display()),
    }
    .with_context(|| format!("extract {}", archive.display()))?;
    let content = match strip {
        Some(top) => single_top_directory(&root, top)
            .with_context(|| format!("extract {}", archive.display()))?,
        None => root,
    };
    fs::rename(&content, dest)
        .with_context(|| format!("move the extracted tree to {}", dest.display()))?;
    Ok(())
}

fn single_top_directory(root: &Path, expected: &str) -> anyhow::Result<PathBuf> {
    let names: Vec<String> = fs::read_dir(root)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<_>>()?;
    if names != [expected] || !root.join(expected).is_dir() {
        bail!(
            "expected a single top-level directory `{expected}`, found: {}",
            names.join(", ")
        );
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
            _ => bail!(
                "unsafe path `{}` in archive (absolute or with `..`)",
                path.display()
            ),
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
                let target = entry
                    .link_name()?
                    .context("symlink without a target")?
                    .into_owned();
                if !link_stays_inside(&path, &target) {
                    bail!(
                        "symlink `{}` -> `{}` points outside the destination",
                        path.display(),
                        target.display()
                    );
                }
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name()?
                    .context("hardlink without a target")?
                    .into_owned();
                checked_relative(&target).with_context(|| {
                    format!(
                        "hardlink `{}` points outside the destination",
                        path.display()
                    )
                })?;
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
            bail!(
                "entry `{}` would be written outside the destination",
                raw_path.display()
            );
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
                bail!(
                    "symlink `{}` -> `{link}` points outside the destination",
                    path.display()
                );
            }
            std::os::unix::fs::symlink(&link, &target)?;
            continue;
        }
        let mut out =
            File::create_new(&target).with_context(|| format!("create {}", target.display()))?;
        io::copy(&mut file, &mut out)?;
        if let Some(mode) = file.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&target, fs::Permissions::from_mode(mode & 0o777))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar.gz built entry by entry; names are written raw so that unsafe paths can be tested.
    fn tar_gz(dir: &Path, entries: &[(&str, tar::EntryType, &str)]) -> PathBuf {
        let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(encoder);
        for (name, kind, link_or_body) in entries {
            let mut header = tar::Header::new_old();
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o755);
            let body: &[u8] = if kind.is_file() {
                link_or_body.as_bytes()
            } else {
                &[]
            };
            if kind.is_symlink() || kind.is_hard_link() {
                header.as_old_mut().linkname[..link_or_body.len()]
                    .copy_from_slice(link_or_body.as_bytes());
            }
            header.set_size(body.len() as u64);
            header.set_cksum();
            builder.append(&header, body).unwrap();
        }
        let path = dir.join("a.tar.gz");
        fs::write(&path, builder.into_inner().unwrap().finish().unwrap()).unwrap();
        path
    }

    fn try_extract(
        entries: &[(&str, tar::EntryType, &str)],
    ) -> (tempfile::TempDir, anyhow::Result<()>) {
        let dir = tempfile::tempdir().unwrap();
        let archive = tar_gz(dir.path(), entries);
        let result = extract(
            &archive,
            ArchiveFormat::TarGz,
            None,
            &dir.path().join("out/dest"),
        );
        (dir, result)
    }

    /// Nothing may exist next to the destination after a refused archive.
    fn assert_nothing_written(dir: &Path) {
        let out = dir.join("out");
        let left: Vec<_> = fs::read_dir(&out)
            .map(|r| r.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "left behind: {left:?}");
        assert!(!dir.join("escaped").exists());
    }

    #[test]
    fn a_safe_archive_is_extracted_with_strip() {
        let dir = tempfile::tempdir().unwrap();
        let archive = tar_gz(
            dir.path(),
            &[
                ("top/bin/tool", tar::EntryType::Regular, "#!/bin/sh\n"),
                ("top/bin/alias", tar::EntryType::Symlink, "tool"),
                ("top/lib/hard", tar::EntryType::Link, "top/bin/tool"),
            ],
        );
        let dest = dir.path().join("dest");
        extract(&archive, ArchiveFormat::TarGz, Some("top"), &dest).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join("bin/tool")).unwrap(),
            "#!/bin/sh\n"
        );
        assert_eq!(
            fs::read_link(dest.join("bin/alias")).unwrap(),
            Path::new("tool")
        );
        assert!(dest.join("lib/hard").is_file());
        let err = extract(
            &archive,
            ArchiveFormat::TarGz,
            Some("other"),
            &dir.path().join("d2"),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("expected a single top-level directory `other`"),
            "{err:#}"
        );
    }

    #[test]
    fn parent_and_absolute_paths_are_refused() {
        for name in ["../escaped", "a/../../escaped", "/tmp/escaped-absolute"] {
            let (dir, result) = try_extract(&[
                ("ok", tar::EntryType::Regular, "x"),
                (name, tar::EntryType::Regular, "x"),
            ]);
            let err = format!("{:#}", result.unwrap_err());
            assert!(err.contains("unsafe path"), "{name}: {err}");
            assert_nothing_written(dir.path());
        }
        assert!(!Path::new("/tmp/escaped-absolute").exists());
    }

    #[test]
    fn links_that_escape_are_refused() {
        let cases: [&[(&str, tar::EntryType, &str)]; 3] = [
            &[("link", tar::EntryType::Symlink, "/etc")],
            &[("a/link", tar::EntryType::Symlink, "../../escaped")],
            &[("hard", tar::EntryType::Link, "../escaped")],
        ];
        for entries in cases {
            let (dir, result) = try_extract(entries);
            let err = format!("{:#}", result.unwrap_err());
            assert!(err.contains("outside the destination"), "{err}");
            assert_nothing_written(dir.path());
        }
    }

    #[test]
    fn writing_through_a_symlink_stays_inside() {
        // A link to a sibling directory is fine; a file written through it lands inside.
        let (dir, result) = try_extract(&[
            ("real/", tar::EntryType::Directory, ""),
            ("alias", tar::EntryType::Symlink, "real"),
            ("alias/file", tar::EntryType::Regular, "x"),
        ]);
        result.unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("out/dest/real/file")).unwrap(),
            "x"
        );
    }

    #[test]
    fn device_files_are_refused() {
        for kind in [
            tar::EntryType::Char,
            tar::EntryType::Block,
            tar::EntryType::Fifo,
        ] {
            let (dir, result) = try_extract(&[("dev", kind, "")]);
            assert!(format!("{:#}", result.unwrap_err()).contains("device or fifo"));
            assert_nothing_written(dir.path());
        }
    }

    #[test]
    fn zip_archives_are_checked_too() {
        let dir = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            let path = dir.path().join("a.zip");
            let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut zip, b"data").unwrap();
            zip.finish().unwrap();
            path
        };
        let good = make("top/file.txt");
        extract(
            &good,
            ArchiveFormat::Zip,
            Some("top"),
            &dir.path().join("z1"),
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("z1/file.txt")).unwrap(),
            "data"
        );
        let bad = make("../escaped.txt");
        assert!(extract(&bad, ArchiveFormat::Zip, None, &dir.path().join("z2")).is_err());
        assert!(!dir.path().join("escaped.txt").exists() && !dir.path().join("z2").exists());
    }

    #[test]
    fn formats_follow_the_file_name() {
        assert_eq!(
            ArchiveFormat::from_file_name("a-1.tar.xz"),
            ArchiveFormat::TarXz
        );
        assert_eq!(ArchiveFormat::from_file_name("a.TGZ"), ArchiveFormat::TarGz);
        assert_eq!(
            ArchiveFormat::from_file_name("a.tbz2"),
            ArchiveFormat::TarBz2
        );
        assert_eq!(ArchiveFormat::from_file_name("a.zip"), ArchiveFormat::Zip);
        assert_eq!(ArchiveFormat::from_file_name("a.whl"), ArchiveFormat::File);
    }

    #[test]
    fn relative_paths_must_be_normal() {
        assert_eq!(
            checked_relative(Path::new("./a/b")).unwrap(),
            Path::new("a/b")
        );
        assert!(checked_relative(Path::new("/etc/passwd")).is_err());
        assert!(checked_relative(Path::new("a/../../b")).is_err());
    }

    #[test]
    fn links_are_resolved_against_their_directory() {
        assert!(link_stays_inside(Path::new("a/b/link"), Path::new("../c")));
        assert!(link_stays_inside(Path::new("a/link"), Path::new("../c")));
        assert!(!link_stays_inside(Path::new("link"), Path::new("../c")));
        assert!(!link_stays_inside(
            Path::new("a/link"),
            Path::new("../../c")
        ));
        assert!(!link_stays_inside(
            Path::new("a/link"),
            Path::new("/usr/bin/clang")
        ));
    }
}
