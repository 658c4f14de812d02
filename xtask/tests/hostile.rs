//! Hostile inputs and faults, through the real binary: planted links, poisoned partial files,
//! a cached archive swapped behind the tool's back, redirects out of bounds, silent servers, and
//! the one-line messages each must give.

mod support;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::server::{Fault, Route, Server};
use support::{files_under, manifest, sha256, stderr, tar_gz, xtask, Entry};

struct Case {
    dir: tempfile::TempDir,
    server: Server,
    body: Vec<u8>,
}

impl Case {
    fn new(route: Route) -> Case {
        let body = tar_gz("pkg-1.0", 300_000);
        let server = Server::start();
        server.route("/pkg-1.0.tar.gz", Route { body: body.clone(), ..route });
        Case { dir: tempfile::tempdir().unwrap(), server, body }
    }

    fn manifest(&self) -> String {
        let entry = Entry { name: "pkg", url: self.server.url("/pkg-1.0.tar.gz"), body: &self.body, size: true };
        let path = manifest(self.dir.path(), &[entry]);
        let text = fs::read_to_string(&path).unwrap() + "strip = \"pkg-1.0\"\n";
        fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn fetch(&self, extra: &[&str]) -> std::process::Output {
        let (manifest, cache) = (self.manifest(), self.dir.path().join("cache").display().to_string());
        let mut args = vec!["fetch", "--manifest", &manifest, "--cache-dir", &cache];
        args.extend_from_slice(extra);
        xtask(&args, &[])
    }

    fn entry_dir(&self) -> PathBuf {
        self.dir.path().join("cache/downloads").join(sha256(&self.body))
    }

    fn requests(&self) -> Vec<Option<String>> {
        self.server.requests_for("/pkg-1.0.tar.gz").into_iter().map(|r| r.range).collect()
    }
}

fn error_lines(out: &std::process::Output) -> Vec<String> {
    stderr(out).lines().filter(|l| l.starts_with("error:")).map(str::to_owned).collect()
}

#[test]
fn a_partial_file_planted_as_a_link_is_replaced_not_followed() {
    let case = Case::new(Route::default());
    fs::create_dir_all(case.entry_dir()).unwrap();
    let outside = case.dir.path().join("outside.txt");
    fs::write(&outside, "precious").unwrap();
    std::os::unix::fs::symlink(&outside, case.entry_dir().join("pkg-1.0.tar.gz.partial")).unwrap();
    let out = case.fetch(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&outside).unwrap(), "precious");
    assert_eq!(fs::read(case.entry_dir().join("pkg-1.0.tar.gz")).unwrap(), case.body);
}

#[test]
fn bad_bytes_kept_from_an_earlier_server_are_dropped_and_the_download_restarts_once() {
    let case = Case::new(Route { honour_range: true, ..Route::default() });
    fs::create_dir_all(case.entry_dir()).unwrap();
    fs::write(case.entry_dir().join("pkg-1.0.tar.gz.partial"), vec![0x5a; 100_000]).unwrap();
    let out = case.fetch(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(case.requests(), [Some("bytes=100000-".to_owned()), None], "a resume, then a fresh start");
    assert!(stderr(&out).contains("starting again from zero"), "{}", stderr(&out));
    assert_eq!(fs::read(case.entry_dir().join("pkg-1.0.tar.gz")).unwrap(), case.body);
}

#[test]
fn a_cached_archive_swapped_with_the_same_size_and_mtime_is_caught_at_extraction() {
    let case = Case::new(Route::default());
    assert!(case.fetch(&[]).status.success());
    let cached = case.entry_dir().join("pkg-1.0.tar.gz");
    let mtime = fs::metadata(&cached).unwrap().modified().unwrap();
    let mut other = tar_gz("pkg-1.0", 300_000);
    other.resize(case.body.len(), 0);
    other[20] ^= 1;
    fs::write(&cached, &other).unwrap();
    fs::File::options().write(true).open(&cached).unwrap().set_modified(mtime).unwrap();
    let out = case.fetch(&["--install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("changed after it was verified; fetching it again"), "{}", stderr(&out));
    assert_eq!(case.requests().len(), 2, "fetched again from the server");
    let installed = files_under(&case.dir.path().join("cache/toolchains"));
    assert!(installed.iter().any(|p| p.ends_with("data.bin")), "{installed:?}");
}

#[test]
fn an_interrupted_install_leaves_nothing_the_next_run_keeps() {
    let case = Case::new(Route::default());
    let toolchains = case.dir.path().join("cache/toolchains");
    let dead = toolchains.join(format!(".pkg-1.0-{}.tmp-killed/.extract-x/root", &sha256(&case.body)[..12]));
    fs::create_dir_all(&dead).unwrap();
    fs::write(dead.join("big"), vec![0; 1000]).unwrap();
    let out = case.fetch(&["--install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let left: Vec<_> = fs::read_dir(&toolchains).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().contains(".tmp-")), "{left:?}");
}

#[test]
fn a_redirect_to_plain_http_elsewhere_is_refused() {
    let case = Case::new(Route {
        first: vec![Fault::Redirect("http://example.invalid/pkg.tar.gz".into())],
        ..Route::default()
    });
    let out = case.fetch(&[]);
    assert!(!out.status.success());
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    assert!(lines[0].contains("refused a redirect") && lines[0].contains("plain http"), "{}", lines[0]);
}

#[test]
fn a_silent_server_is_reported_as_timed_out() {
    let case = Case::new(Route { first: vec![Fault::StallAfter(1000); 5], ..Route::default() });
    let out = case.fetch(&["--timeout", "1"]);
    assert!(!out.status.success());
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    assert!(lines[0].contains("timed out"), "{}", lines[0]);
}

/// --timeout bounds the response head as a whole (a head trickling in byte by byte fails, and
/// the server is given up on after two such waits), and the body by its silences only (a body
/// slower in total than --timeout, never silent that long, arrives).
#[test]
fn the_timeout_bounds_the_head_as_a_whole_and_the_body_by_its_silences() {
    let case = Case::new(Route { first: vec![Fault::TrickleHead(Duration::from_millis(50)); 5], ..Route::default() });
    let started = Instant::now();
    let out = case.fetch(&["--timeout", "1", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert_eq!(case.requests().len(), 2, "given up on after two waits");
    assert!(stderr(&out).contains("whole response head"), "{}", stderr(&out));

    let slow = Case::new(Route { throttle: Some(Duration::from_millis(500)), ..Route::default() });
    let started = Instant::now();
    let out = slow.fetch(&["--timeout", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(started.elapsed() > Duration::from_secs(2), "the body was not slower than --timeout in total");
    assert_eq!(slow.requests().len(), 1);
}

#[test]
fn no_partial_no_promise_that_one_is_kept() {
    let case = Case::new(Route { first: vec![Fault::Status(503); 5], ..Route::default() });
    let out = case.fetch(&[]);
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    assert!(lines[0].contains("HTTP 503") && !lines[0].contains("partial download is kept"), "{}", lines[0]);
    // With bytes on disk, the promise is made, and kept.
    // The server drops every connection and cannot resume: each attempt keeps 100 kB.
    let case = Case::new(Route { first: vec![Fault::DropAfter(100_000); 5], honour_range: false, ..Route::default() });
    let lines = error_lines(&case.fetch(&[]));
    assert!(lines[0].contains("the partial download is kept"), "{}", lines[0]);
    assert!(case.entry_dir().join("pkg-1.0.tar.gz.partial").is_file());
}

#[test]
fn a_local_directory_is_not_a_network_error() {
    let case = Case::new(Route::default());
    let mirror = case.dir.path().join("mirror");
    fs::create_dir_all(mirror.join("pkg/pkg-1.0.tar.gz")).unwrap();
    let out = case.fetch(&["--mirror", mirror.to_str().unwrap()]);
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    assert!(lines[0].contains("cannot read") && lines[0].contains("not a directory"), "{}", lines[0]);
    assert!(!lines[0].contains("proxy") && !lines[0].contains("free space"), "{}", lines[0]);
}

/// A tar built entry by entry (names and link targets written raw).
fn tar_of(entries: &[(&str, tar::EntryType, &str, u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, link_or_body, mode) in entries {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(*mode);
        let body: &[u8] = if kind.is_file() { link_or_body.as_bytes() } else { &[] };
        if kind.is_symlink() {
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

/// `fetch --install` of an archive given by file:// URL, with extra manifest lines.
fn install(dir: &std::path::Path, archive: &[u8], extra: &str) -> std::process::Output {
    install_with(dir, archive, extra, &[])
}

/// [`install`] with more flags.
fn install_with(dir: &std::path::Path, archive: &[u8], extra: &str, flags: &[&str]) -> std::process::Output {
    let path = dir.join("pkg-1.0.tar.gz");
    fs::write(&path, archive).unwrap();
    let text = format!(
        "schema = 1\n[[artifact]]\nname = \"pkg\"\nversion = \"1.0\"\nurl = \"file://{}\"\nsha256 = \"{}\"\n{extra}",
        path.display(),
        sha256(archive)
    );
    fs::write(dir.join("m.toml"), text).unwrap();
    let (manifest, cache) = (dir.join("m.toml").display().to_string(), dir.join("cache").display().to_string());
    let mut args = vec!["fetch", "--install", "--manifest", &manifest, "--cache-dir", &cache];
    args.extend_from_slice(flags);
    xtask(&args, &[])
}

/// The toolchain steps a `--message-format json` run started.
fn installs_started(out: &std::process::Output) -> usize {
    let events = support::schema::parse_events(&support::schema::events(), &support::stdout(out));
    events.iter().filter(|e| e["event"] == "step-started" && e["stage"] == "toolchain").count()
}

/// An installed tree is recorded when it is made; `--verify` finds a file changed, removed or
/// added since, and installs the archive again, while what a toolchain writes into itself
/// (`__pycache__`, emcc's cache) is left out.
#[test]
fn verify_finds_an_installed_tree_changed_since_it_was_installed_and_installs_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let archive = gzip(&tar_of(&[
        ("top/bin/tool", File_, "#!/bin/sh\necho tool\n", 0o755),
        ("top/lib/data.txt", File_, "data", 0o644),
        ("top/emscripten/tools/x.py", File_, "x = 1", 0o644),
    ]));
    let json = ["--verify", "--message-format", "json"];
    assert!(install(dir.path(), &archive, "strip = \"top\"\n").status.success());
    let installed = fs::read_dir(dir.path().join("cache/toolchains"))
        .unwrap()
        .flatten()
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    fs::create_dir_all(installed.join("emscripten/tools/__pycache__")).unwrap();
    fs::write(installed.join("emscripten/tools/__pycache__/x.pyc"), "pyc").unwrap();
    fs::create_dir_all(installed.join("emscripten/cache/sysroot")).unwrap();
    let out = install_with(dir.path(), &archive, "strip = \"top\"\n", &json);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(installs_started(&out), 0, "what a toolchain writes itself counted as a change: {}", stderr(&out));

    for tamper in ["change", "remove", "add", "mode"] {
        match tamper {
            "change" => fs::write(installed.join("bin/tool"), "#!/bin/sh\necho evil\n").unwrap(),
            "remove" => fs::remove_file(installed.join("lib/data.txt")).unwrap(),
            "add" => fs::write(installed.join("bin/planted"), "x").unwrap(),
            _ => {
                fs::set_permissions(installed.join("lib/data.txt"), std::os::unix::fs::PermissionsExt::from_mode(0o777))
                    .unwrap()
            }
        }
        let out = install_with(dir.path(), &archive, "strip = \"top\"\n", &json);
        assert!(out.status.success(), "{tamper}: {}", stderr(&out));
        assert_eq!(installs_started(&out), 1, "{tamper}: not installed again: {}", stderr(&out));
        assert!(stderr(&out).contains("installing it again"), "{tamper}: {}", stderr(&out));
        assert_eq!(fs::read_to_string(installed.join("bin/tool")).unwrap(), "#!/bin/sh\necho tool\n");
        assert!(!installed.join("bin/planted").exists());
    }
    // Without --verify, nothing is hashed again.
    fs::write(installed.join("bin/tool"), "edited").unwrap();
    let out = install_with(dir.path(), &archive, "strip = \"top\"\n", &["--message-format", "json"]);
    assert_eq!(installs_started(&out), 0, "{}", stderr(&out));
}

use tar::EntryType::{Regular as File_, Symlink as Sym};

#[test]
fn a_chain_of_links_in_an_archive_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let depth = dir.path().components().count() + 8;
    let up = vec![".."; depth].join("/");
    let target = format!("{up}{}", outside.display());
    let archive = gzip(&tar_of(&[
        ("a", Sym, ".", 0o777),
        ("a/a/a/a/c", Sym, &target, 0o777),
        ("a/a/a/a/c/pwned", File_, "x", 0o644),
    ]));
    let out = install(dir.path(), &archive, "");
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(fs::read_dir(&outside).unwrap().next().is_none(), "something was written outside");
    let installed: Vec<_> = files_under(&dir.path().join("cache/toolchains"))
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(installed.is_empty(), "nothing of a refused archive is installed: {installed:?}");
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    assert!(lines[0].contains("unsafe entry") && lines[0].contains("do not use this archive"), "{}", lines[0]);
}

#[test]
fn a_stripped_top_that_is_a_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Were `top` followed, the install dir would become a link to its own parent, and the stamp
    // would land one level up.
    let archive = gzip(&tar_of(&[("top", Sym, ".", 0o777)]));
    let out = install(dir.path(), &archive, "strip = \"top\"\n");
    assert!(!out.status.success(), "{}", stderr(&out));
    assert!(error_lines(&out)[0].contains("single top-level directory `top`"), "{}", stderr(&out));
    assert!(!dir.path().join("cache/toolchains/.installed").exists());
    let links = fs::read_dir(dir.path().join("cache/toolchains")).unwrap().flatten();
    assert!(links.into_iter().all(|e| !e.file_type().unwrap().is_symlink()), "no link was installed");
}

#[test]
fn every_member_of_a_multi_member_gzip_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let tar =
        tar_of(&[("top/one", File_, "1", 0o644), ("top/two", File_, "2", 0o644), ("top/three", File_, "3", 0o644)]);
    let (first, second) = tar.split_at(1024);
    let out = install(dir.path(), &[gzip(first), gzip(second)].concat(), "strip = \"top\"\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = files_under(&dir.path().join("cache/toolchains"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for name in ["one", "two", "three"] {
        assert!(names.iter().any(|n| n == name), "{name} is missing: {names:?}");
    }
}

#[test]
fn setuid_bits_do_not_survive_and_the_unpacked_size_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let archive = gzip(&tar_of(&[("top/tool", File_, "#!/bin/sh\n", 0o6755)]));
    let out = install(dir.path(), &archive, "strip = \"top\"\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let tool = files_under(&dir.path().join("cache/toolchains")).into_iter().find(|p| p.ends_with("tool")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(fs::metadata(tool).unwrap().permissions().mode() & 0o7777, 0o755);

    let other = tempfile::tempdir().unwrap();
    let big = gzip(&tar_of(&[("top/zeros", File_, &"0".repeat(1 << 20), 0o644)]));
    let out = install(other.path(), &big, "strip = \"top\"\nunpacked_size = 100000\n");
    assert!(!out.status.success(), "{}", stderr(&out));
    let lines = error_lines(&out);
    assert!(
        lines[0].contains("unpacks to more than 100000 bytes") && lines[0].contains("unpacked_size"),
        "{}",
        lines[0]
    );
}

#[test]
fn verify_says_in_one_line_what_is_not_a_dist() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache").display().to_string();
    let garbage = dir.path().join("python-3.13.5-wasm32-wasip1.tar.xz");
    fs::write(&garbage, b"\xfd7zXZ\0 not really").unwrap();
    let plain_tar = dir.path().join("plain.tar.xz");
    fs::write(&plain_tar, xz(&tar_of(&[("top/a", tar::EntryType::Regular, "", 0o644)]))).unwrap();
    let missing = dir.path().join("missing.tar.xz");
    for (path, expected) in [(&garbage, "is damaged"), (&plain_tar, "has no SHA256SUMS"), (&missing, "missing.tar.xz")]
    {
        let out = xtask(&["verify", &path.display().to_string(), "--cache-dir", &cache], &[]);
        assert!(!out.status.success());
        let lines = error_lines(&out);
        assert_eq!(lines.len(), 1, "{}", stderr(&out));
        assert!(lines[0].contains(expected), "{}", lines[0]);
    }
    // dist of a work dir with no build: one line saying what to do.
    let work = dir.path().join("work").display().to_string();
    let out = xtask(&["dist", "--work-dir", &work, "--cache-dir", &cache], &[]);
    let lines = error_lines(&out);
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    assert!(lines[0].contains("bootstrap"), "{}", lines[0]);
}

fn xz(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = xz2::write::XzEncoder::new(Vec::new(), 1);
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A plain file where the cache, or a directory of an artifact's entry, should be: one line
/// naming the artifact and the path, exit 7 (the host), nothing written.
#[test]
fn a_file_in_place_of_a_cache_directory_names_the_artifact() {
    let archive = gzip(&tar_of(&[("top/bin/tool", File_, "tool", 0o755)]));
    let sha = sha256(&archive);
    for planted in ["cache", "cache/downloads", &format!("cache/downloads/{sha}"), "cache/toolchains"] {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join(planted);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        fs::write(&at, "in the way").unwrap();
        let out = install(dir.path(), &archive, "strip = \"top\"\n");
        assert_eq!(out.status.code(), Some(7), "{planted}: {}", stderr(&out));
        let lines = error_lines(&out);
        assert_eq!(lines.len(), 1, "{planted}: {}", stderr(&out));
        assert!(
            lines[0].contains("pkg 1.0") && lines[0].contains(&at.display().to_string()),
            "{planted}: {}",
            lines[0]
        );
        assert_eq!(fs::read_to_string(&at).unwrap(), "in the way");
    }
}
