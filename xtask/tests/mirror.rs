//! Mirrors, offline mode and manifest errors, through the real binary.

mod support;

use std::fs;

use support::server::{Route, Server};
use support::{files_under, manifest, sha256, stderr, stdout, tar_gz, xtask, Entry};

fn served_pair() -> (tempfile::TempDir, Server, Vec<u8>, Vec<u8>, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start();
    let (a, b) = (tar_gz("a-1.0", 50_000), tar_gz("b-1.0", 70_000));
    server.route("/up/a-1.0.tar.gz", Route { body: a.clone(), ..Route::default() });
    server.route("/up/b-1.0.tar.gz", Route { body: b.clone(), ..Route::default() });
    let entries = [
        Entry { name: "a", url: server.url("/up/a-1.0.tar.gz"), body: &a, size: true },
        Entry { name: "b", url: server.url("/up/b-1.0.tar.gz"), body: &b, size: false },
    ];
    let manifest = manifest(dir.path(), &entries).display().to_string();
    (dir, server, a, b, manifest)
}

#[test]
fn export_then_fetch_offline_from_the_mirror_directory() {
    let (dir, server, a, b, manifest) = served_pair();
    let mirror = dir.path().join("mirror");
    let cache = dir.path().join("cache").display().to_string();
    let out =
        xtask(&["mirror", "export", mirror.to_str().unwrap(), "--manifest", &manifest, "--cache-dir", &cache], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(fs::read(mirror.join("a/a-1.0.tar.gz")).unwrap(), a);
    assert_eq!(fs::read(mirror.join("b/b-1.0.tar.gz")).unwrap(), b);
    let exported = fs::read_to_string(mirror.join("manifest.toml")).unwrap();
    assert!(exported.contains(&sha256(&a)) && exported.contains("/up/b-1.0.tar.gz"), "{exported}");

    // An air-gapped site: the exported manifest, the mirror as a directory, no network.
    let fresh = dir.path().join("fresh").display().to_string();
    let exported_manifest = mirror.join("manifest.toml").display().to_string();
    let file_url = format!("file://{}", mirror.display());
    let out = xtask(
        &[
            "fetch",
            "--offline",
            "--manifest",
            &exported_manifest,
            "--mirror",
            &file_url,
            "--cache-dir",
            &fresh,
            "--message-format",
            "json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().filter(|l| l.contains(r#""event":"fetched""#)).count(), 2);
    assert!(stdout(&out).contains(&format!("\"source\":\"file://{}/a/a-1.0.tar.gz\"", mirror.display())));
    assert_eq!(server.requests.lock().unwrap().len(), 2, "offline fetches made no request");
}

#[test]
fn a_served_mirror_replaces_upstream_and_a_miss_names_the_expected_path() {
    let (dir, upstream, a, _, manifest) = served_pair();
    let mirror = Server::start();
    mirror.route("/m/a/a-1.0.tar.gz", Route { body: a.clone(), ..Route::default() });
    let cache = dir.path().join("cache").display().to_string();
    let base = mirror.url("/m/");
    let out = xtask(&["fetch", "a", "--manifest", &manifest, "--cache-dir", &cache, "--mirror", &base], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mirror.requests_for("/m/a/a-1.0.tar.gz").len(), 1);
    assert!(upstream.requests.lock().unwrap().is_empty(), "with a mirror, upstream is not used");

    let out = xtask(&["fetch", "b", "--manifest", &manifest, "--cache-dir", &cache], &[("BOOTSTRAP_MIRROR", &base)]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("error: b 1.0: not in the mirror: expected http://127.0.0.1:"), "{err}");
    assert!(err.contains("/m/b/b-1.0.tar.gz") && err.contains("mirror export"), "{err}");
}

#[test]
fn offline_without_a_cached_copy_is_a_clear_error() {
    let (dir, server, _, _, manifest) = served_pair();
    let cache = dir.path().join("cache").display().to_string();
    let out = xtask(&["fetch", "a", "--manifest", &manifest, "--cache-dir", &cache], &[("BOOTSTRAP_OFFLINE", "1")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--offline forbids downloading"), "{}", stderr(&out));
    assert!(server.requests.lock().unwrap().is_empty());
    assert!(files_under(&dir.path().join("cache")).iter().all(|p| p.ends_with(".lock") || p.ends_with("in-use.lock")));
    // Once cached, offline works.
    assert!(xtask(&["fetch", "a", "--manifest", &manifest, "--cache-dir", &cache], &[]).status.success());
    assert!(xtask(&["fetch", "a", "--offline", "--manifest", &manifest, "--cache-dir", &cache], &[]).status.success());
}

#[test]
fn overlays_replace_entries_by_name() {
    let (dir, server, _, _, manifest) = served_pair();
    let replacement = tar_gz("a-2.0", 10_000);
    server.route("/local/a-2.0.tar.gz", Route { body: replacement.clone(), ..Route::default() });
    let overlay_dir = dir.path().join("overlay");
    fs::create_dir(&overlay_dir).unwrap();
    let overlay = support::manifest(
        &overlay_dir,
        &[Entry { name: "a", url: server.url("/local/a-2.0.tar.gz"), body: &replacement, size: true }],
    );
    let cache = dir.path().join("cache").display().to_string();
    let out = xtask(
        &[
            "fetch",
            "a",
            "--manifest",
            &manifest,
            "--overlay",
            overlay.to_str().unwrap(),
            "--cache-dir",
            &cache,
            "--message-format",
            "json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&sha256(&replacement)));
}

#[test]
fn manifest_errors_name_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    fs::write(&path, "schema = 1\n\n[[artifact]]\nname = \"x\"\nversion = \"1\"\nurl = \"http://example.org/x.tar.gz\"\nsha256 = \"00\"\n").unwrap();
    let out = xtask(&["fetch", "--manifest", path.to_str().unwrap(), "--cache-dir", "/tmp/unused"], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml:7: artifact `x`: field `sha256`"), "{err}");
}

#[test]
fn help_explains_every_global_flag() {
    let out = xtask(&["fetch", "--help"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out);
    for flag in [
        "--manifest",
        "--overlay",
        "--mirror",
        "--offline",
        "--cache-dir",
        "--verify",
        "--timeout",
        "--message-format",
        "BOOTSTRAP_MIRROR",
        "BOOTSTRAP_CACHE_DIR",
        "BOOTSTRAP_OFFLINE",
    ] {
        assert!(help.contains(flag), "fetch --help lacks {flag}:\n{help}");
    }
}

#[test]
fn the_shipped_manifest_parses() {
    let out = xtask(&["fetch", "no-such-artifact", "--cache-dir", "/tmp/unused"], &[]);
    assert_eq!(out.status.code(), Some(3), "an unknown artifact is an input error");
    let err = stderr(&out);
    assert!(err.contains("no artifact `no-such-artifact`") && err.contains("cpython-3.13"), "{err}");
}

#[test]
fn a_missing_local_file_is_named_with_the_right_hint() {
    let (dir, _, _, _, manifest) = served_pair();
    let cache = dir.path().join("cache").display().to_string();
    let empty = dir.path().join("empty-mirror");
    fs::create_dir(&empty).unwrap();
    let out = xtask(
        &["fetch", "a", "--manifest", &manifest, "--cache-dir", &cache, "--mirror", empty.to_str().unwrap()],
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("not in the mirror: expected file://{}/a/a-1.0.tar.gz", empty.display())), "{err}");

    let body = tar_gz("c-1.0", 1000);
    let url = format!("file://{}/c-1.0.tar.gz", dir.path().display());
    let local = support::manifest(&empty, &[Entry { name: "c", url, body: &body, size: false }]);
    let out = xtask(&["fetch", "--manifest", local.to_str().unwrap(), "--cache-dir", &cache], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("c-1.0.tar.gz does not exist") && err.contains("check the url in the manifest"), "{err}");
}
