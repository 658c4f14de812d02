use std::os::unix::fs::PermissionsExt;

use super::*;

/// A tar built entry by entry; names are written raw so that unsafe paths can be tested.
fn tar_bytes(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, link_or_body) in entries {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(if name.ends_with("suid") { 0o4755 } else { 0o755 });
        let body: &[u8] = if kind.is_file() { link_or_body.as_bytes() } else { &[] };
        if kind.is_symlink() || kind.is_hard_link() {
            header.as_old_mut().linkname[..link_or_body.len()].copy_from_slice(link_or_body.as_bytes());
        }
        header.set_size(body.len() as u64);
        header.set_cksum();
        builder.append(&header, body).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, bytes).unwrap();
    encoder.finish().unwrap()
}

fn tar_gz(dir: &Path, entries: &[(&str, tar::EntryType, &str)]) -> PathBuf {
    let path = dir.join("a.tar.gz");
    std::fs::write(&path, gzip(&tar_bytes(entries))).unwrap();
    path
}

fn check() -> Check {
    Check { sha256: None, max_unpacked: None }
}

fn try_extract(entries: &[(&str, tar::EntryType, &str)]) -> (tempfile::TempDir, Result<(), ExtractError>) {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_gz(dir.path(), entries);
    let result = extract(&archive, ArchiveFormat::TarGz, None, &dir.path().join("out/dest"), &check());
    (dir, result)
}

/// Nothing may exist next to the destination after a refused archive.
fn assert_nothing_written(dir: &Path) {
    let out = dir.join("out");
    let left: Vec<_> =
        std::fs::read_dir(&out).map(|r| r.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!dir.join("escaped").exists());
}

fn refused(entries: &[(&str, tar::EntryType, &str)], expect: &str) {
    let (dir, result) = try_extract(entries);
    let err = result.unwrap_err().to_string();
    assert!(err.contains(expect), "{entries:?}: {err}");
    assert_nothing_written(dir.path());
}

use tar::EntryType::{Directory as Dir, Link as Hard, Regular as File_, Symlink as Sym};

#[test]
fn a_safe_archive_is_extracted_with_strip() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_gz(
        dir.path(),
        &[
            ("top/bin/tool", File_, "#!/bin/sh\n"),
            ("top/bin/alias", Sym, "tool"),
            ("top/lib/hard", Hard, "top/bin/tool"),
        ],
    );
    let dest = dir.path().join("dest");
    extract(&archive, ArchiveFormat::TarGz, Some("top"), &dest, &check()).unwrap();
    assert_eq!(std::fs::read_to_string(dest.join("bin/tool")).unwrap(), "#!/bin/sh\n");
    assert_eq!(std::fs::read_link(dest.join("bin/alias")).unwrap(), Path::new("tool"));
    assert!(dest.join("lib/hard").is_file());
    let err = extract(&archive, ArchiveFormat::TarGz, Some("other"), &dir.path().join("d2"), &check()).unwrap_err();
    assert!(err.to_string().contains("expected a single top-level directory `other`"), "{err}");
    assert!(err.hint().contains("fix the entry's `strip`"));
}

#[test]
fn parent_and_absolute_paths_are_refused() {
    for name in ["../escaped", "a/../../escaped", "/tmp/escaped-absolute"] {
        refused(&[("ok", File_, "x"), (name, File_, "x")], "absolute, or with `..`");
    }
    assert!(!Path::new("/tmp/escaped-absolute").exists());
}

#[test]
fn links_that_escape_are_refused() {
    refused(&[("link", Sym, "/etc")], "outside the destination");
    refused(&[("a/link", Sym, "../../escaped")], "outside the destination");
    refused(&[("hard", Hard, "../escaped")], "absolute, or with `..`");
    refused(&[("hard", Hard, "missing")], "a hard link to something that is not a file inside");
}

#[test]
fn a_chain_of_links_is_resolved_through_the_tree_as_extracted() {
    // `a` is the root itself, so `a/a/a/a/c` sits at the root: `../../../..` from there is `/..`.
    refused(&[("a", Sym, "."), ("a/a/a/a/c", Sym, "../../../.."), ("a/a/a/a/c/escaped", File_, "x")], "outside");
    // A file under a link that leads outside is refused before it is written.
    refused(&[("up", Sym, "a/.."), ("a", Sym, ".."), ("up/escaped", File_, "x")], "outside the destination");
    // A link checked early (`p` resolves lexically inside) is redirected by one extracted later;
    // the final pass over the whole tree refuses it.
    refused(&[("p", Sym, "a/b/../../.."), ("a", Sym, "."), ("a2/", Dir, "")], "outside the destination");
    refused(&[("loop1", Sym, "loop2"), ("loop2", Sym, "loop1")], "or a loop");
}

#[test]
fn writing_through_a_symlink_stays_inside() {
    // A link to a sibling directory is fine; a file written through it lands inside.
    let (dir, result) = try_extract(&[("real/", Dir, ""), ("alias", Sym, "real"), ("alias/file", File_, "x")]);
    result.unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join("out/dest/real/file")).unwrap(), "x");
}

#[test]
fn the_stripped_top_must_be_a_real_directory() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_gz(dir.path(), &[("top", Sym, "."), ("file", File_, "x")]);
    let err = extract(&archive, ArchiveFormat::TarGz, Some("top"), &dir.path().join("d"), &check()).unwrap_err();
    assert!(matches!(err, ExtractError::Layout { .. }), "{err}");
    assert!(!dir.path().join("d").exists());
}

#[test]
fn device_files_are_refused() {
    for kind in [tar::EntryType::Char, tar::EntryType::Block, tar::EntryType::Fifo] {
        refused(&[("dev", kind, "")], "a device file or fifo");
    }
}

#[test]
fn setuid_setgid_and_sticky_bits_are_dropped() {
    let (dir, result) = try_extract(&[("bin/suid", File_, "x")]);
    result.unwrap();
    let mode = std::fs::metadata(dir.path().join("out/dest/bin/suid")).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o755);
}

#[test]
fn every_member_of_a_multi_member_gzip_is_extracted() {
    let dir = tempfile::tempdir().unwrap();
    let tar = tar_bytes(&[("one", File_, "1"), ("two", File_, "2"), ("three", File_, "3")]);
    let (first, second) = tar.split_at(1024);
    let path = dir.path().join("multi.tar.gz");
    std::fs::write(&path, [gzip(first), gzip(second)].concat()).unwrap();
    extract(&path, ArchiveFormat::TarGz, None, &dir.path().join("d"), &check()).unwrap();
    for name in ["one", "two", "three"] {
        assert!(dir.path().join("d").join(name).is_file(), "{name} is missing");
    }
}

#[test]
fn the_unpacked_size_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let big = "0".repeat(3 << 20);
    let archive = tar_gz(dir.path(), &[("zeros", File_, &big)]);
    let limit = Check { sha256: None, max_unpacked: Some(1 << 20) };
    let err = extract(&archive, ArchiveFormat::TarGz, None, &dir.path().join("d"), &limit).unwrap_err();
    assert!(matches!(err, ExtractError::TooLarge { limit: 1048576 }), "{err}");
    assert!(err.hint().contains("unpacked_size"));
    assert!(!dir.path().join("d").exists());
    let enough = Check { sha256: None, max_unpacked: Some(4 << 20) };
    extract(&archive, ArchiveFormat::TarGz, None, &dir.path().join("d"), &enough).unwrap();
    assert_eq!(default_limit(1000), DEFAULT_FLOOR);
    assert_eq!(default_limit(100 << 20), 6400 << 20);
}

#[test]
fn nothing_is_extracted_from_a_file_that_does_not_match_its_sha256() {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_gz(dir.path(), &[("file", File_, "x")]);
    let wrong = Check { sha256: Some("0".repeat(64)), max_unpacked: None };
    let err = extract(&archive, ArchiveFormat::TarGz, None, &dir.path().join("d"), &wrong).unwrap_err();
    assert!(matches!(err, ExtractError::Mismatch { .. }), "{err}");
    assert!(!dir.path().join("d").exists());
    let right = Check { sha256: Some(crate::files::sha256_file(&archive).unwrap()), max_unpacked: None };
    extract(&archive, ArchiveFormat::TarGz, None, &dir.path().join("d"), &right).unwrap();
}

#[test]
fn member_names_are_printed_without_control_characters() {
    let (_dir, result) = try_extract(&[("../\x1b[31mred", File_, "x")]);
    let err = result.unwrap_err().to_string();
    assert!(!err.contains('\x1b') && err.contains("\\u{1b}[31mred"), "{err}");
}

fn zip_file(dir: &Path, members: &[(&str, Option<&str>)]) -> PathBuf {
    let path = dir.join("a.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, link) in members {
        let options = zip::write::SimpleFileOptions::default();
        match link {
            Some(target) => zip.add_symlink(*name, *target, options).unwrap(),
            None => {
                zip.start_file(*name, options.unix_permissions(0o4755)).unwrap();
                std::io::Write::write_all(&mut zip, b"data").unwrap();
            }
        }
    }
    zip.finish().unwrap();
    path
}

#[test]
fn zip_archives_are_checked_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let good = zip_file(dir.path(), &[("top/file.txt", None), ("top/alias", Some("file.txt"))]);
    extract(&good, ArchiveFormat::Zip, Some("top"), &dir.path().join("z1"), &check()).unwrap();
    assert_eq!(std::fs::read_to_string(dir.path().join("z1/file.txt")).unwrap(), "data");
    let mode = std::fs::metadata(dir.path().join("z1/file.txt")).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o755, "no setuid from a zip either");
    let unsafe_zips: [&[(&str, Option<&str>)]; 3] = [
        &[("../escaped.txt", None)],
        &[("a", Some(".")), ("a/a/a/a/c", Some("../../../..")), ("a/a/a/a/c/escaped.txt", None)],
        &[("p", Some("a/b/../../..")), ("a", Some("."))],
    ];
    for members in unsafe_zips {
        let bad = zip_file(dir.path(), members);
        let err = extract(&bad, ArchiveFormat::Zip, None, &dir.path().join("z2"), &check()).unwrap_err();
        assert!(matches!(err, ExtractError::Unsafe { .. }), "{members:?}: {err}");
        assert!(!dir.path().join("escaped.txt").exists() && !dir.path().join("z2").exists());
    }
}

#[test]
fn formats_follow_the_file_name() {
    assert_eq!(ArchiveFormat::from_file_name("a-1.tar.xz"), ArchiveFormat::TarXz);
    assert_eq!(ArchiveFormat::from_file_name("a.TGZ"), ArchiveFormat::TarGz);
    assert_eq!(ArchiveFormat::from_file_name("a.tbz2"), ArchiveFormat::TarBz2);
    assert_eq!(ArchiveFormat::from_file_name("a.zip"), ArchiveFormat::Zip);
    assert_eq!(ArchiveFormat::from_file_name("a.whl"), ArchiveFormat::File);
}

#[test]
fn links_are_resolved_against_their_directory() {
    let dir = tempfile::tempdir().unwrap();
    let start = |s: &str| s.split('/').map(std::ffi::OsString::from).collect::<Vec<_>>();
    assert!(paths::resolve(dir.path(), &start("a/b"), Path::new("../c")).is_some());
    assert!(paths::resolve(dir.path(), &start("a"), Path::new("../c")).is_some());
    assert!(paths::resolve(dir.path(), &[], Path::new("../c")).is_none());
    assert!(paths::resolve(dir.path(), &start("a"), Path::new("../../c")).is_none());
    assert!(paths::resolve(dir.path(), &start("a"), Path::new("/usr/bin/clang")).is_none());
    assert_eq!(checked_relative(Path::new("./a/b")).unwrap(), Path::new("a/b"));
    assert!(checked_relative(Path::new("a/../../b")).is_err());
}

#[test]
fn a_zip_is_bounded_as_a_whole_and_the_bound_is_named_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for name in ["one", "two"] {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, &vec![b'0'; 600 << 10]).unwrap();
    }
    zip.finish().unwrap();
    // Each member fits under the bound alone; together they do not.
    let limit = Check { sha256: None, max_unpacked: Some(1 << 20) };
    let err = extract(&path, ArchiveFormat::Zip, None, &dir.path().join("d"), &limit).unwrap_err();
    assert!(matches!(err, ExtractError::TooLarge { limit: 1048576 }), "{err}");
    assert!(!dir.path().join("d").exists());
}
