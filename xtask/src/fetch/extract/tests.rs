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
        let body: &[u8] = if kind.is_file() { link_or_body.as_bytes() } else { &[] };
        if kind.is_symlink() || kind.is_hard_link() {
            header.as_old_mut().linkname[..link_or_body.len()].copy_from_slice(link_or_body.as_bytes());
        }
        header.set_size(body.len() as u64);
        header.set_cksum();
        builder.append(&header, body).unwrap();
    }
    let path = dir.join("a.tar.gz");
    fs::write(&path, builder.into_inner().unwrap().finish().unwrap()).unwrap();
    path
}

fn try_extract(entries: &[(&str, tar::EntryType, &str)]) -> (tempfile::TempDir, anyhow::Result<()>) {
    let dir = tempfile::tempdir().unwrap();
    let archive = tar_gz(dir.path(), entries);
    let result = extract(&archive, ArchiveFormat::TarGz, None, &dir.path().join("out/dest"));
    (dir, result)
}

/// Nothing may exist next to the destination after a refused archive.
fn assert_nothing_written(dir: &Path) {
    let out = dir.join("out");
    let left: Vec<_> = fs::read_dir(&out).map(|r| r.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
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
    assert_eq!(fs::read_to_string(dest.join("bin/tool")).unwrap(), "#!/bin/sh\n");
    assert_eq!(fs::read_link(dest.join("bin/alias")).unwrap(), Path::new("tool"));
    assert!(dest.join("lib/hard").is_file());
    let err = extract(&archive, ArchiveFormat::TarGz, Some("other"), &dir.path().join("d2")).unwrap_err();
    assert!(format!("{err:#}").contains("expected a single top-level directory `other`"), "{err:#}");
}

#[test]
fn parent_and_absolute_paths_are_refused() {
    for name in ["../escaped", "a/../../escaped", "/tmp/escaped-absolute"] {
        let (dir, result) = try_extract(&[("ok", tar::EntryType::Regular, "x"), (name, tar::EntryType::Regular, "x")]);
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
    assert_eq!(fs::read_to_string(dir.path().join("out/dest/real/file")).unwrap(), "x");
}

#[test]
fn device_files_are_refused() {
    for kind in [tar::EntryType::Char, tar::EntryType::Block, tar::EntryType::Fifo] {
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
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, b"data").unwrap();
        zip.finish().unwrap();
        path
    };
    let good = make("top/file.txt");
    extract(&good, ArchiveFormat::Zip, Some("top"), &dir.path().join("z1")).unwrap();
    assert_eq!(fs::read_to_string(dir.path().join("z1/file.txt")).unwrap(), "data");
    let bad = make("../escaped.txt");
    assert!(extract(&bad, ArchiveFormat::Zip, None, &dir.path().join("z2")).is_err());
    assert!(!dir.path().join("escaped.txt").exists() && !dir.path().join("z2").exists());
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
fn relative_paths_must_be_normal() {
    assert_eq!(checked_relative(Path::new("./a/b")).unwrap(), Path::new("a/b"));
    assert!(checked_relative(Path::new("/etc/passwd")).is_err());
    assert!(checked_relative(Path::new("a/../../b")).is_err());
}

#[test]
fn links_are_resolved_against_their_directory() {
    assert!(link_stays_inside(Path::new("a/b/link"), Path::new("../c")));
    assert!(link_stays_inside(Path::new("a/link"), Path::new("../c")));
    assert!(!link_stays_inside(Path::new("link"), Path::new("../c")));
    assert!(!link_stays_inside(Path::new("a/link"), Path::new("../../c")));
    assert!(!link_stays_inside(Path::new("a/link"), Path::new("/usr/bin/clang")));
}
