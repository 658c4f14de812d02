//! The test tiers' fixture fetcher (`src/bin/fixtures`) against a loopback server standing in for
//! a Debian archive whose indexes move under it: files are taken by their pins, from the pool path
//! or wherever an index of another suite says the same sha256 is, and nothing else is accepted.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::server::{Route, Server};
use support::sha256;

const ORIG: &str = "zlib_1.3+really1.3.1.orig.tar.gz";

fn orig_bytes() -> Vec<u8> {
    support::tar_gz("zlib-1.3.1", 3000)
}

fn pins(dir: &Path, body: &[u8], pool_dir: &str, suites: &str) -> std::path::PathBuf {
    let text = format!(
        "schema = 1\ndebian-suites = [{suites}]\n\n[[file]]\nname = \"{ORIG}\"\ndebian = \"{pool_dir}\"\nsha256 = \"{}\"\nsize = {}\n",
        sha256(body),
        body.len()
    );
    let path = dir.join("fixtures.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn xz(text: &str) -> Vec<u8> {
    let mut encoder = xz2::write::XzEncoder::new(Vec::new(), 6);
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

/// A Sources index naming the orig (sha256, size) in `directory`, beside a newer .dsc.
fn sources(directory: &str, body: &[u8]) -> Vec<u8> {
    xz(&format!(
        "Package: zlib\nVersion: 1:1.3-1+deb13u1\nDirectory: {directory}\nChecksums-Sha256:\n {} 900 zlib_1.3-1+deb13u1.dsc\n {} {} {ORIG}\n\nPackage: evil\nDirectory: pool/../../outside\nChecksums-Sha256:\n {} 1 {ORIG}\n",
        "d".repeat(64),
        sha256(body),
        body.len(),
        sha256(body),
    ))
}

fn route(body: &[u8]) -> Route {
    Route { body: body.to_vec(), ..Route::default() }
}

fn fixtures(server: &Server, dir: &Path, pins: &Path) -> Output {
    let (cache, into) = (dir.join("cache"), dir.join("files"));
    let main = server.url("/debian");
    let security = server.url("/debian-security");
    let args = [
        "--pins",
        pins.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
        "--into",
        into.to_str().unwrap(),
        "--debian-archive",
        &main,
        "--debian-security-archive",
        &security,
        "--timeout",
        "5",
    ];
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fixtures"));
    command.env_clear().env("PATH", "/usr/bin:/bin").env("HOME", "/nonexistent").args(args);
    command.output().unwrap()
}

fn events_of(output: &Output) -> Vec<Value> {
    support::stdout(output).lines().map(|l| serde_json::from_str(l).expect("one JSON event per line")).collect()
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

#[test]
fn an_index_moved_to_an_upload_the_pool_lacks_does_not_matter() {
    // The situation of December 2026: trixie's index names a new upload whose .dsc is not served,
    // while the orig the fixtures need is unchanged in the pool.
    let (server, dir, body) = (Server::start(), tempfile::tempdir().unwrap(), orig_bytes());
    server.route(&format!("/debian/pool/main/z/zlib/{ORIG}"), route(&body));
    server.route("/debian/dists/trixie/main/source/Sources.xz", route(&sources("pool/main/z/zlib", &body)));
    let output = fixtures(&server, dir.path(), &pins(dir.path(), &body, "pool/main/z/zlib", "\"trixie\""));
    assert!(output.status.success(), "{}", support::stderr(&output));
    let events = events_of(&output);
    let fetched = of_kind(&events, "fetched");
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0]["source"], server.url(&format!("/debian/pool/main/z/zlib/{ORIG}")));
    assert_eq!(std::fs::read(dir.path().join("files").join(ORIG)).unwrap(), body);
    assert!(server.requests.lock().unwrap().iter().all(|r| !r.path.contains("/dists/")), "no index was needed");
    let sums = std::fs::read_to_string(dir.path().join("files/SHA256SUMS")).unwrap();
    assert_eq!(sums, format!("{}  {ORIG}\n", sha256(&body)));

    // A second run is served from the cache: no request at all.
    let before = server.requests.lock().unwrap().len();
    let again = fixtures(&server, dir.path(), &pins(dir.path(), &body, "pool/main/z/zlib", "\"trixie\""));
    assert!(again.status.success(), "{}", support::stderr(&again));
    assert_eq!(of_kind(&events_of(&again), "fetched")[0]["cached"], true);
    assert_eq!(server.requests.lock().unwrap().len(), before);
}

#[test]
fn a_file_gone_from_its_pool_path_is_found_through_another_suites_index() {
    let (server, dir, body) = (Server::start(), tempfile::tempdir().unwrap(), orig_bytes());
    // Only the security archive still has it, under its own pool; trixie's index does not list it.
    let moved = format!("/debian-security/pool/updates/main/z/zlib/{ORIG}");
    server.route(&moved, route(&body));
    server.route(
        "/debian/dists/trixie/main/source/Sources.xz",
        route(&xz("Package: other\nDirectory: pool/main/o/other\n")),
    );
    server.route(
        "/debian-security/dists/trixie-security/main/source/Sources.xz",
        route(&sources("pool/updates/main/z/zlib", &body)),
    );
    let pins = pins(dir.path(), &body, "pool/main/z/zlib", "\"trixie\", \"trixie-security\"");
    let output = fixtures(&server, dir.path(), &pins);
    assert!(output.status.success(), "{}", support::stderr(&output));
    let events = events_of(&output);
    let tried: Vec<&str> = of_kind(&events, "tried").iter().map(|e| e["url"].as_str().unwrap()).collect();
    assert_eq!(
        tried,
        [
            server.url(&format!("/debian/pool/main/z/zlib/{ORIG}")),
            server.url(&format!("/debian-security/pool/main/z/zlib/{ORIG}"))
        ]
    );
    let found: Vec<u64> = of_kind(&events, "searched").iter().map(|e| e["found"].as_u64().unwrap()).collect();
    assert_eq!(found, [0, 1], "the path leaving the pool in the index is ignored");
    assert_eq!(of_kind(&events, "fetched")[0]["source"], server.url(&moved));
    assert_eq!(std::fs::read(dir.path().join("files").join(ORIG)).unwrap(), body);
}

#[test]
fn bytes_that_do_not_match_the_pin_are_never_kept() {
    let (server, dir, body) = (Server::start(), tempfile::tempdir().unwrap(), orig_bytes());
    // The pool path serves other bytes of the same size (a repack under the same name).
    let mut other = body.clone();
    other[100] ^= 0xff;
    server.route(&format!("/debian/pool/main/z/zlib/{ORIG}"), route(&other));
    server.route(&format!("/debian/pool/main/z/zlib-old/{ORIG}"), route(&body));
    server
        .route("/debian/dists/sid/main/source/Sources.gz", route(&gzip(&sources_text("pool/main/z/zlib-old", &body))));
    let output = fixtures(&server, dir.path(), &pins(dir.path(), &body, "pool/main/z/zlib", "\"sid\""));
    assert!(output.status.success(), "{}", support::stderr(&output));
    let events = events_of(&output);
    assert!(of_kind(&events, "tried")[0]["error"].as_str().unwrap().contains("sha256"), "{events:?}");
    assert_eq!(of_kind(&events, "searched")[0]["index"], server.url("/debian/dists/sid/main/source/Sources.gz"));
    assert_eq!(std::fs::read(dir.path().join("files").join(ORIG)).unwrap(), body);
    let leftovers: Vec<_> =
        support::files_under(dir.path()).into_iter().filter(|p| p.to_string_lossy().ends_with(".partial")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn when_nothing_matches_one_line_names_the_file_the_sha256_and_the_suites() {
    let (server, dir, body) = (Server::start(), tempfile::tempdir().unwrap(), orig_bytes());
    server.route("/debian/dists/trixie/main/source/Sources.xz", route(&sources("pool/main/z/zlib", &body)));
    let output = fixtures(&server, dir.path(), &pins(dir.path(), &body, "pool/main/z/zlib", "\"trixie\", \"sid\""));
    assert_eq!(output.status.code(), Some(1));
    let stderr = support::stderr(&output);
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    for needle in [ORIG, &sha256(&body), "trixie, sid", "update its pin"] {
        assert!(error[0].contains(needle), "{} lacks {needle}", error[0]);
    }
    let events = events_of(&output);
    assert!(of_kind(&events, "tried")
        .iter()
        .any(|e| e["url"] == server.url("/debian/dists/sid/main/source/Sources.gz")));
    assert!(!dir.path().join("files").join(ORIG).exists());
}

#[test]
fn a_binary_package_is_looked_up_in_the_packages_index() {
    let (server, dir) = (Server::start(), tempfile::tempdir().unwrap());
    let deb = support::tar_gz("not-really-a-deb", 500);
    let name = "wasi-libc_0.0~git1-2_all.deb";
    let moved = format!("/debian/pool/main/w/wasi-libc-new/{name}");
    server.route(&moved, route(&deb));
    let index = format!(
        "Package: wasi-libc\nFilename: pool/main/w/wasi-libc-new/{name}\nSize: {}\nSHA256: {}\n",
        deb.len(),
        sha256(&deb)
    );
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    server.route(&format!("/debian/dists/forky/main/binary-{arch}/Packages.xz"), route(&xz(&index)));
    let text = format!(
        "schema = 1\ndebian-suites = [\"forky\"]\n[[file]]\nname = \"{name}\"\ndebian = \"pool/main/w/wasi-libc\"\nsha256 = \"{}\"\nsize = {}\n",
        sha256(&deb),
        deb.len()
    );
    std::fs::write(dir.path().join("fixtures.toml"), text).unwrap();
    let output = fixtures(&server, dir.path(), &dir.path().join("fixtures.toml"));
    assert!(output.status.success(), "{}", support::stderr(&output));
    assert_eq!(of_kind(&events_of(&output), "fetched")[0]["source"], server.url(&moved));
}

fn sources_text(directory: &str, body: &[u8]) -> String {
    format!("Package: zlib\nDirectory: {directory}\nChecksums-Sha256:\n {} {} {ORIG}\n", sha256(body), body.len())
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

/// A loopback npm registry: the packument of `name@version` whose integrity record (sha512) is
/// that of `served`, and the tarball itself.
fn npm_registry(server: &Server, name: &str, version: &str, served: &[u8]) {
    use sha2::Digest;
    let integrity = format!("sha512-{}", base64(&sha2::Sha512::digest(served)));
    let tarball = server.url(&format!("/{name}/-/{name}-{version}.tgz"));
    let packument = serde_json::json!({
        "name": name,
        "dist-tags": {"latest": version},
        "versions": {version: {"name": name, "version": version, "dist": {"tarball": tarball, "integrity": integrity}}},
    });
    let json =
        Route { body: packument.to_string().into_bytes(), content_type: Some("application/json"), ..Route::default() };
    server.route(&format!("/{name}"), json);
    server.route(&format!("/{name}/-/{name}-{version}.tgz"), route(served));
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { TABLE[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// `npm pack` against the loopback registry; npm's own cache and config stay in `dir`.
fn npm_fixtures(server: &Server, dir: &Path, pinned: &[u8]) -> Output {
    let text = format!(
        "schema = 1\n[[file]]\nname = \"leftpad-1.0.0.tgz\"\nnpm = \"leftpad@1.0.0\"\nsha256 = \"{}\"\nsize = {}\n",
        sha256(pinned),
        pinned.len()
    );
    std::fs::write(dir.join("fixtures.toml"), text).unwrap();
    let (home, cache, into) = (dir.join("home"), dir.join("cache"), dir.join("files"));
    std::fs::create_dir_all(&home).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fixtures"));
    command
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", &home)
        .env("npm_config_registry", server.url("/"))
        .env("npm_config_cache", home.join("npm-cache"))
        .env("npm_config_update_notifier", "false")
        .args(["--pins", dir.join("fixtures.toml").to_str().unwrap()])
        .args(["--cache-dir", cache.to_str().unwrap(), "--into", into.to_str().unwrap()]);
    command.output().unwrap()
}

#[test]
fn npm_files_come_through_npm_and_must_match_the_pin() {
    let (server, dir) = (Server::start(), tempfile::tempdir().unwrap());
    let package = npm_tarball("leftpad", "1.0.0");
    npm_registry(&server, "leftpad", "1.0.0", &package);
    let output = npm_fixtures(&server, dir.path(), &package);
    assert!(output.status.success(), "{}", support::stderr(&output));
    let fetched = of_kind(&events_of(&output), "fetched").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0]["cached"], false);
    assert_eq!(std::fs::read(dir.path().join("files/leftpad-1.0.0.tgz")).unwrap(), package);

    // The registry now serves other bytes under the same version, with a matching integrity
    // record: npm accepts them, the pin does not.
    let (server, dir) = (Server::start(), tempfile::tempdir().unwrap());
    let republished = npm_tarball_with("leftpad", "1.0.0", "module.exports = 43;\n");
    npm_registry(&server, "leftpad", "1.0.0", &republished);
    let output = npm_fixtures(&server, dir.path(), &package);
    assert_eq!(output.status.code(), Some(1));
    let stderr = support::stderr(&output);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("leftpad-1.0.0.tgz") && errors[0].contains(&sha256(&package)), "{}", errors[0]);
    assert!(!dir.path().join("files/leftpad-1.0.0.tgz").exists());
}

/// An npm package tarball: `package/package.json` and `package/index.js`.
fn npm_tarball(name: &str, version: &str) -> Vec<u8> {
    npm_tarball_with(name, version, "module.exports = 42;\n")
}

fn npm_tarball_with(name: &str, version: &str, index_js: &str) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let files = [
        ("package/package.json", format!("{{\"name\":\"{name}\",\"version\":\"{version}\"}}")),
        ("package/index.js", index_js.to_owned()),
    ];
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, path, text.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}
