//! The fetch layer against a real loopback HTTP server and real archives.

mod support;

use std::fs;
use std::time::Duration;

use support::server::{Fault, Route, Server};
use support::{files_under, manifest, sha256, stderr, stdout, tar_gz, xtask, Entry};

struct Case {
    dir: tempfile::TempDir,
    server: Server,
    body: Vec<u8>,
}

impl Case {
    fn new(route: impl FnOnce(Vec<u8>) -> Route) -> Case {
        let body = tar_gz("pkg-1.0", 300_000);
        let server = Server::start();
        server.route("/pkg-1.0.tar.gz", route(body.clone()));
        Case { dir: tempfile::tempdir().unwrap(), server, body }
    }

    fn manifest(&self, size: bool) -> String {
        let entry = Entry { name: "pkg", url: self.server.url("/pkg-1.0.tar.gz"), body: &self.body, size };
        manifest(self.dir.path(), &[entry]).display().to_string()
    }

    fn cache(&self) -> String {
        self.dir.path().join("cache").display().to_string()
    }

    fn fetch(&self, extra: &[&str]) -> std::process::Output {
        let manifest = self.manifest(true);
        let cache = self.cache();
        let mut args = vec!["fetch", "--manifest", &manifest, "--cache-dir", &cache];
        args.extend_from_slice(extra);
        xtask(&args, &[])
    }

    fn cached_file(&self) -> std::path::PathBuf {
        self.dir.path().join("cache/downloads").join(sha256(&self.body)).join("pkg-1.0.tar.gz")
    }

    fn requests(&self) -> usize {
        self.server.requests_for("/pkg-1.0.tar.gz").len()
    }

    fn cache_files(&self) -> Vec<String> {
        files_under(&self.dir.path().join("cache"))
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            // Lock files: an entry's, and the cache's in-use lock every fetch holds (locks/).
            .filter(|n| n != ".lock" && n != "in-use.lock")
            .collect()
    }
}

fn plain(body: Vec<u8>) -> Route {
    Route { body, honour_range: true, ..Route::default() }
}

#[test]
fn fetch_verifies_caches_and_reports_json() {
    let case = Case::new(plain);
    let out = case.fetch(&["--message-format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let events = support::schema::parse_events(&support::schema::events(), &stdout(&out));
    let fetched: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "fetched").collect();
    assert_eq!(fetched.len(), 1, "{events:?}");
    let json = fetched[0];
    assert_eq!(json["name"], "pkg");
    assert_eq!(json["version"], "1.0");
    assert_eq!(json["sha256"], sha256(&case.body));
    assert_eq!(json["source"], case.server.url("/pkg-1.0.tar.gz"));
    assert_eq!(json["path"], case.cached_file().display().to_string());
    assert_eq!(fs::read(case.cached_file()).unwrap(), case.body);

    let again = case.fetch(&["--message-format", "json"]);
    assert!(again.status.success());
    assert!(stdout(&again).contains("\"cached\":true"));
    assert_eq!(case.requests(), 1, "a cache hit must not touch the network");
}

#[test]
fn a_corrupted_cache_entry_is_detected_and_fetched_again() {
    let case = Case::new(plain);
    assert!(case.fetch(&[]).status.success());
    let mut bytes = fs::read(case.cached_file()).unwrap();
    bytes[1000] ^= 0xff;
    fs::write(case.cached_file(), &bytes).unwrap();
    let out = case.fetch(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));
    assert_eq!(fs::read(case.cached_file()).unwrap(), case.body);
    assert_eq!(case.requests(), 2);
}

#[test]
fn verify_flag_rehashes_even_when_size_and_mtime_match() {
    let case = Case::new(plain);
    assert!(case.fetch(&[]).status.success());
    let path = case.cached_file();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let mut bytes = fs::read(&path).unwrap();
    bytes[5] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
    // The cheap check trusts the stamp: same size and mtime.
    assert!(case.fetch(&[]).status.success());
    assert_eq!(case.requests(), 1);
    // --verify hashes again, finds the flipped bit and fetches a good copy.
    let out = case.fetch(&["--verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(case.requests(), 2);
    assert_eq!(fs::read(&path).unwrap(), case.body);
}

#[test]
fn a_dropped_connection_resumes_with_a_range_request() {
    let case = Case::new(|body| Route { first: vec![Fault::DropAfter(100_000)], ..plain(body) });
    let out = case.fetch(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = case.server.requests_for("/pkg-1.0.tar.gz");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].range.as_deref(), Some("bytes=100000-"));
    assert!(stderr(&out).contains("resuming at 100000 bytes"), "{}", stderr(&out));
    assert_eq!(fs::read(case.cached_file()).unwrap(), case.body);
}

#[test]
fn resume_restarts_cleanly_when_the_server_ignores_range() {
    let case = Case::new(|body| Route { first: vec![Fault::DropAfter(100_000)], honour_range: false, ..plain(body) });
    let out = case.fetch(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = case.server.requests_for("/pkg-1.0.tar.gz");
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].range.as_deref(), Some("bytes=100000-"), "the second request asks to resume");
    assert!(!stderr(&out).contains("resuming at"), "a 200 answer restarts from zero: {}", stderr(&out));
    assert_eq!(fs::read(case.cached_file()).unwrap(), case.body);
}

#[test]
fn server_errors_are_retried_then_succeed() {
    let case = Case::new(|body| Route { first: vec![Fault::Status(500), Fault::Status(503)], ..plain(body) });
    let out = case.fetch(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(case.requests(), 3);
    assert!(stderr(&out).contains("retrying"), "{}", stderr(&out));
}

#[test]
fn a_stalled_transfer_times_out_and_is_retried() {
    let case = Case::new(|body| Route { first: vec![Fault::StallAfter(50_000)], ..plain(body) });
    let out = case.fetch(&["--timeout", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(case.requests(), 2);
    assert_eq!(fs::read(case.cached_file()).unwrap(), case.body);
}

#[test]
fn not_found_is_final_and_names_artifact_and_url() {
    let case = Case::new(plain);
    let server = Server::start();
    let entry = Entry { name: "pkg", url: server.url("/missing-1.0.tar.gz"), body: &case.body, size: false };
    let manifest = manifest(case.dir.path(), &[entry]).display().to_string();
    let cache = case.cache();
    let out = xtask(&["fetch", "--manifest", &manifest, "--cache-dir", &cache], &[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("error: pkg 1.0")).unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("HTTP 404") && line.contains("/missing-1.0.tar.gz") && line.contains("check the url"),
        "{line}"
    );
    assert_eq!(server.requests_for("/missing-1.0.tar.gz").len(), 1, "404 must not be retried");
    assert!(case.cache_files().is_empty(), "{:?}", case.cache_files());
}

#[test]
fn a_wrong_body_is_a_hash_mismatch_and_nothing_is_cached() {
    let case = Case::new(|body| {
        let mut wrong = body;
        wrong[10] ^= 0xff;
        plain(wrong)
    });
    let out = case.fetch(&[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("error: pkg 1.0: sha256 mismatch for http://127.0.0.1"), "{err}");
    assert!(err.contains(&format!("expected {}", sha256(&case.body))), "{err}");
    assert_eq!(case.requests(), 1, "a mismatch must not be retried");
    assert!(case.cache_files().is_empty(), "{:?}", case.cache_files());
}

#[test]
fn an_html_page_is_refused() {
    let case = Case::new(|body| Route { content_type: Some("text/html; charset=utf-8"), ..plain(body) });
    let out = case.fetch(&[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sent an HTML page instead of the file"), "{}", stderr(&out));
    assert_eq!(case.requests(), 1);

    // Also when the server calls it something else: the first bytes give it away.
    let page = b"<!DOCTYPE html><html><body>Rate limited</body></html>".to_vec();
    let case = Case::new(|_| plain(page.clone()));
    let entry = Entry { name: "pkg", url: case.server.url("/pkg-1.0.tar.gz"), body: &case.body, size: false };
    let manifest = manifest(case.dir.path(), &[entry]).display().to_string();
    let cache = case.cache();
    let out = xtask(&["fetch", "--manifest", &manifest, "--cache-dir", &cache], &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("HTML page"), "{}", stderr(&out));
    assert!(case.cache_files().is_empty());
}

#[test]
fn a_size_mismatch_is_final() {
    let case = Case::new(|body| plain(body[..body.len() - 1].to_vec()));
    let out = case.fetch(&[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("size mismatch"), "{}", stderr(&out));
    assert_eq!(case.requests(), 1);
    assert!(case.cache_files().is_empty());
}

#[test]
fn two_processes_fetching_one_artifact_download_it_once() {
    let case = Case::new(|body| Route { throttle: Some(Duration::from_millis(40)), ..plain(body) });
    let manifest = case.manifest(true);
    let cache = case.cache();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["fetch", "--manifest", &manifest, "--cache-dir", &cache])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let (first, second) = (first.wait_with_output().unwrap(), second.wait_with_output().unwrap());
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(case.requests(), 1, "the second process must wait and reuse the first download");
    assert_eq!(fs::read(case.cached_file()).unwrap(), case.body);
}

#[test]
fn http_proxy_is_used_and_no_proxy_is_honoured() {
    let case = Case::new(plain);
    let proxy = case.server.url("");
    // Port 9 on localhost is closed: only the proxy can answer.
    let entry = Entry { name: "pkg", url: "http://localhost:9/pkg-1.0.tar.gz".into(), body: &case.body, size: true };
    let manifest = manifest(case.dir.path(), &[entry]).display().to_string();
    let cache = case.cache();
    let out = xtask(&["fetch", "--manifest", &manifest, "--cache-dir", &cache], &[("HTTP_PROXY", &proxy)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(case.server.requests_for("/pkg-1.0.tar.gz")[0].absolute_form);

    let other_cache = case.dir.path().join("cache2").display().to_string();
    let out = xtask(
        &["fetch", "--manifest", &manifest, "--cache-dir", &other_cache, "--timeout", "1"],
        &[("HTTP_PROXY", &proxy), ("NO_PROXY", "localhost")],
    );
    assert!(!out.status.success(), "NO_PROXY=localhost must bypass the proxy");
    // The direct connection goes to the closed port, and that is the failure reported.
    let err = stderr(&out);
    assert!(err.contains("http://localhost:9/pkg-1.0.tar.gz") && err.contains("Connection refused"), "{err}");
    assert_eq!(case.requests(), 1);
}

#[test]
fn a_custom_ca_bundle_that_is_not_pem_is_a_clear_error() {
    let case = Case::new(plain);
    let bad = case.dir.path().join("ca.pem");
    fs::write(&bad, "not a certificate").unwrap();
    let manifest = case.manifest(true);
    let cache = case.cache();
    let out =
        xtask(&["fetch", "--manifest", &manifest, "--cache-dir", &cache], &[("SSL_CERT_FILE", bad.to_str().unwrap())]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("SSL_CERT_FILE"), "{}", stderr(&out));
}
