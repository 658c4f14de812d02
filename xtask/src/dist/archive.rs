//! The dist archive: a tar.xz whose bytes depend on its members only. Names sorted, one top
//! directory, every mtime SOURCE_DATE_EPOCH, owner and group 0 with no names, modes 0644 or
//! 0755 whatever the umask, no atime or ctime, and single-threaded xz at one preset. Reading
//! one back gives every member's kind and sha256.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context;
use fs_err as fs;
use sha2::{Digest, Sha256};

use super::layout::{Content, Entry};
use crate::files::hex;
use crate::text::printable;
use crate::text::PathText;

/// xz's preset: the default of the `xz` command.
const PRESET: u32 = 6;

/// Writes `entries` below `top/` into `dest` (through a temporary file and a rename).
pub fn write(dest: &Path, top: &str, entries: &[Entry], mtime: u64) -> anyhow::Result<()> {
    let dir = crate::files::parent(dest)?;
    fs::create_dir_all(dir)?;
    let temp = tempfile::Builder::new().prefix(".dist-").suffix(".partial").tempfile_in(dir)?;
    let encoder = xz2::write::XzEncoder::new(temp.as_file(), PRESET);
    let mut tar = tar::Builder::new(encoder);
    let header = |kind: tar::EntryType, mode: u32, size: u64| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header
    };
    for dir in directories(top, entries) {
        let mut h = header(tar::EntryType::Directory, 0o755, 0);
        tar.append_data(&mut h, format!("{dir}/"), std::io::empty())?;
    }
    for entry in entries {
        let path = format!("{top}/{}", entry.path);
        match &entry.content {
            Content::File { from, executable } => {
                let bytes = fs::read(from).with_context(|| format!("package {}", from.shown()))?;
                let mut h = header(tar::EntryType::Regular, mode(*executable), bytes.len() as u64);
                tar.append_data(&mut h, &path, bytes.as_slice())?;
            }
            Content::Bytes { bytes, executable } => {
                let mut h = header(tar::EntryType::Regular, mode(*executable), bytes.len() as u64);
                tar.append_data(&mut h, &path, bytes.as_slice())?;
            }
            Content::Link(to) => {
                let mut h = header(tar::EntryType::Symlink, 0o777, 0);
                tar.append_link(&mut h, &path, to)?;
            }
            Content::Dir => {}
        }
    }
    let encoder = tar.into_inner()?;
    encoder.finish()?.flush()?;
    temp.persist(dest).map_err(|e| e.error).with_context(|| format!("write {}", dest.shown()))?;
    Ok(())
}

fn mode(executable: bool) -> u32 {
    if executable {
        0o755
    } else {
        0o644
    }
}

/// Every directory the entries need (their parents, and the empty ones), sorted, `top` first.
fn directories(top: &str, entries: &[Entry]) -> Vec<String> {
    let mut dirs = std::collections::BTreeSet::from([top.to_owned()]);
    for entry in entries {
        let mut path = entry.path.as_str();
        if let Content::Dir = entry.content {
            dirs.insert(format!("{top}/{path}"));
        }
        while let Some((parent, _)) = path.rsplit_once('/') {
            dirs.insert(format!("{top}/{parent}"));
            path = parent;
        }
    }
    dirs.into_iter().collect()
}

/// A member of a read archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A regular file: its sha256 and, for the few files `verify` reads, its bytes.
    File {
        sha256: String,
        bytes: Option<Vec<u8>>,
    },
    Dir,
    Link(String),
}

/// The members of a dist archive below its one top directory, by path; the files named in
/// `keep` with their bytes. Anything but files, directories and relative links inside the
/// package is an error naming the member.
pub fn read(path: &Path, keep: &[&str]) -> anyhow::Result<(String, BTreeMap<String, Member>)> {
    let file = fs::File::open(path)?;
    let what = format!("the dist archive {}", path.shown());
    let mut tar = tar::Archive::new(xz2::read::XzDecoder::new(std::io::BufReader::new(file)));
    let mut top: Option<String> = None;
    let mut members = BTreeMap::new();
    for entry in tar.entries().with_context(|| format!("{what} is not a tar.xz"))? {
        let mut entry = entry.with_context(|| format!("{what} is damaged (xz or tar data)"))?;
        let name = String::from_utf8(entry.path_bytes().into_owned()).map_err(|e| {
            anyhow::anyhow!(
                "{what} has a member whose name is not UTF-8: {}",
                printable(&String::from_utf8_lossy(e.as_bytes()))
            )
        })?;
        let name = name.trim_end_matches('/').to_owned();
        let (head, rest) = name.split_once('/').unwrap_or((&name, ""));
        match &top {
            None => top = Some(head.to_owned()),
            Some(top) if top != head => {
                anyhow::bail!("{what} has members outside its top directory {top}: {}", printable(&name))
            }
            Some(_) => {}
        }
        if rest.split('/').any(|part| part == ".." || part == ".") {
            anyhow::bail!("{what} has a member with `.` or `..` in its path: {}", printable(&name));
        }
        let member = match entry.header().entry_type() {
            tar::EntryType::Directory => Member::Dir,
            tar::EntryType::Regular => {
                let mut hasher = Sha256::new();
                let mut bytes = vec![];
                let keep_bytes = keep.contains(&rest);
                let mut buffer = vec![0; 1 << 16];
                loop {
                    let n = entry
                        .read(&mut buffer)
                        .with_context(|| format!("{what} is damaged at {}", printable(&name)))?;
                    if n == 0 {
                        break;
                    }
                    hasher.update(&buffer[..n]);
                    if keep_bytes {
                        bytes.extend_from_slice(&buffer[..n]);
                    }
                }
                Member::File { sha256: hex(&hasher.finalize()), bytes: keep_bytes.then_some(bytes) }
            }
            tar::EntryType::Symlink => {
                let to = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                if !link_stays_inside(rest, &to) {
                    anyhow::bail!(
                        "{what} has a link that leaves the package: {} -> {}",
                        printable(&name),
                        printable(&to)
                    );
                }
                Member::Link(to)
            }
            other => anyhow::bail!("{what} has a member of a kind a dist never has ({other:?}): {}", printable(&name)),
        };
        if !rest.is_empty() {
            members.insert(rest.to_owned(), member);
        }
    }
    let top = top.with_context(|| format!("{what} is empty"))?;
    Ok((top, members))
}

/// Whether the relative link at `path` (inside the package) pointing to `to` stays inside it.
pub fn link_stays_inside(path: &str, to: &str) -> bool {
    if to.starts_with('/') || to.is_empty() {
        return false;
    }
    let mut depth = path.matches('/').count() as i64;
    for part in to.split('/') {
        match part {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<Entry> {
        fs::write(dir.join("f"), "data").unwrap();
        vec![
            Entry {
                path: "bin/run".into(),
                content: Content::Bytes { bytes: b"#!/bin/sh\n".to_vec(), executable: true },
            },
            Entry { path: "bin/run3".into(), content: Content::Link("run".into()) },
            Entry { path: "lib/empty".into(), content: Content::Dir },
            Entry { path: "lib/f".into(), content: Content::File { from: dir.join("f"), executable: false } },
        ]
    }

    #[test]
    fn the_bytes_depend_on_the_members_only() {
        let dir = tempfile::tempdir().unwrap();
        let entries = entries(dir.path());
        let (a, b) = (dir.path().join("a.tar.xz"), dir.path().join("b.tar.xz"));
        write(&a, "top", &entries, 1_700_000_000).unwrap();
        // The source file's own mode and time do not matter.
        std::os::unix::fs::PermissionsExt::set_mode(
            &mut fs::metadata(dir.path().join("f")).unwrap().permissions(),
            0o600,
        );
        fs::set_permissions(dir.path().join("f"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        write(&b, "top", &entries, 1_700_000_000).unwrap();
        assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());

        let (top, members) = read(&a, &["lib/f"]).unwrap();
        assert_eq!(top, "top");
        let names: Vec<&str> = members.keys().map(String::as_str).collect();
        assert_eq!(names, ["bin", "bin/run", "bin/run3", "lib", "lib/empty", "lib/f"]);
        assert_eq!(members["bin/run3"], Member::Link("run".into()));
        let Member::File { bytes, sha256 } = &members["lib/f"] else { panic!("a file") };
        assert_eq!(bytes.as_deref(), Some(&b"data"[..]));
        assert_eq!(sha256, &hex(&Sha256::digest(b"data")));

        // Headers: owner 0, no names, the epoch, normalized modes.
        let mut tar = tar::Archive::new(xz2::read::XzDecoder::new(fs::File::open(&a).unwrap()));
        for entry in tar.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            assert_eq!(header.mtime().unwrap(), 1_700_000_000);
            assert!(header.username().unwrap().unwrap_or_default().is_empty());
            let mode = header.mode().unwrap();
            assert!([0o644, 0o755, 0o777].contains(&mode), "{mode:o}");
        }
    }

    #[test]
    fn a_changed_byte_is_a_damaged_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar.xz");
        write(&path, "top", &entries(dir.path()), 1).unwrap();
        let mut bytes = fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        fs::write(&path, bytes).unwrap();
        assert!(read(&path, &[]).is_err());
    }

    /// A member of a hostile archive: name, kind, link target.
    type Raw<'a> = (&'a str, tar::EntryType, &'a str);

    /// A tar.xz of raw members, written without the tar crate's checks.
    fn hostile(dir: &Path, members: &[Raw]) -> std::path::PathBuf {
        let path = dir.join("hostile.tar.xz");
        let mut tar = tar::Builder::new(xz2::write::XzEncoder::new(fs::File::create(&path).unwrap(), 1));
        for (name, kind, link) in members {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(0);
            header.set_mode(0o644);
            let bytes = header.as_old_mut();
            bytes.name[..name.len()].copy_from_slice(name.as_bytes());
            bytes.linkname[..link.len()].copy_from_slice(link.as_bytes());
            header.set_cksum();
            tar.append(&header, std::io::empty()).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
        path
    }

    #[test]
    fn hostile_archives_are_one_line_naming_the_member() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[Raw], &str); 5] = [
            (
                &[("top/a", tar::EntryType::Regular, ""), ("other/b", tar::EntryType::Regular, "")],
                "outside its top directory",
            ),
            (&[("top/../etc/passwd", tar::EntryType::Regular, "")], "`..`"),
            (&[("top/bin/x", tar::EntryType::Symlink, "/etc/passwd")], "leaves the package"),
            (&[("top/dev", tar::EntryType::Char, "")], "never has"),
            (&[("top/\x1b[2Jx", tar::EntryType::Link, "top/a")], "never has"),
        ];
        for (members, expected) in cases {
            let error = format!("{:#}", read(&hostile(dir.path(), members), &[]).unwrap_err());
            assert!(error.contains(expected) && !error.contains('\x1b') && !error.contains('\n'), "{error}");
        }
    }

    #[test]
    fn links_may_not_leave_the_package() {
        assert!(link_stays_inside("bin/python3", "python3.13"));
        assert!(link_stays_inside("lib/pkgconfig/a.pc", "../../share/x"));
        assert!(!link_stays_inside("bin/python3", "../../etc/passwd"));
        assert!(!link_stays_inside("bin/python3", "/usr/bin/python3"));
    }
}
