//! HTTPS with a custom CA (SSL_CERT_FILE) and through an HTTPS proxy (CONNECT), against a real
//! TLS server on 127.0.0.1.

mod support;

use std::fs;

use support::server::Server;
use support::tls::TlsServer;
use support::{manifest, stderr, tar_gz, xtask, Entry};

struct Case {
    dir: tempfile::TempDir,
    tls: TlsServer,
    manifest: String,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("www");
        fs::create_dir(&root).unwrap();
        let body = tar_gz("pkg-1.0", 100_000);
        fs::write(root.join("pkg-1.0.tar.gz"), &body).unwrap();
        let tls = TlsServer::start(&root, dir.path());
        let entry = Entry { name: "pkg", url: tls.url("/pkg-1.0.tar.gz"), body: &body, size: true };
        let manifest = manifest(dir.path(), &[entry]).display().to_string();
        Case { dir, tls, manifest }
    }

    fn fetch(&self, cache: &str, env: &[(&str, &str)]) -> std::process::Output {
        let cache = self.dir.path().join(cache).display().to_string();
        xtask(&["fetch", "--manifest", &self.manifest, "--cache-dir", &cache, "--timeout", "5"], env)
    }
}

#[test]
fn https_needs_the_custom_ca_from_ssl_cert_file() {
    let case = Case::new();
    let refused = case.fetch("c1", &[]);
    assert!(!refused.status.success(), "an unknown CA must be refused");
    // Refused for the certificate, not for any other reason (a closed port, a timeout).
    let err = stderr(&refused);
    assert!(err.contains("error: pkg 1.0:") && err.contains("UnknownIssuer"), "{err}");
    let ca = case.tls.ca.display().to_string();
    let out = case.fetch("c2", &[("SSL_CERT_FILE", &ca)]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn https_goes_through_the_https_proxy_unless_no_proxy_matches() {
    let case = Case::new();
    let proxy = Server::start();
    let ca = case.tls.ca.display().to_string();
    let proxy_url = proxy.url("");
    let out = case.fetch("c1", &[("SSL_CERT_FILE", &ca), ("HTTPS_PROXY", &proxy_url)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let tunnels =
        |p: &Server| p.requests.lock().unwrap().iter().filter(|r| r.path.starts_with("CONNECT 127.0.0.1:")).count();
    assert_eq!(tunnels(&proxy), 1, "the download must use the proxy's CONNECT tunnel");

    let out = case.fetch("c2", &[("SSL_CERT_FILE", &ca), ("https_proxy", &proxy_url), ("no_proxy", "127.0.0.1")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tunnels(&proxy), 1, "NO_PROXY must bypass the proxy");
}
