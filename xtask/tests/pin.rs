//! `pin` through the real binary against publishers' records served on loopback.
//!
//! The records have each publisher's real shape (emsdk's emscripten-releases-tags.json and
//! bazel/revisions.bzl with emscripten 6.0.8's real release hash, Node's SHASUMS256.txt, the
//! GitHub release API's asset objects with `digest`, python.org's Sigstore bundle, the libraries'
//! download pages, sqlite's PRODUCT lines). The real files (hundreds of MB, not reachable here)
//! are stood in for by small tarballs, and every checksum in these records is written for its
//! stand-in: the tests check the tool's reading and checking, not the publishers' numbers.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use sha3::Digest;
use support::server::{Route, Server};
use support::{sha256, stderr, stdout, tar_gz, xtask};

/// emscripten 6.0.8's emscripten-releases build, as emsdk's records at tag 6.0.8 name it.
const RELEASE_6_0_8: &str = "9d70dbe8860ccdd3595f6e6065d94bfb543ae955";

struct Publishers {
    server: Server,
    dir: tempfile::TempDir,
    manifest: PathBuf,
}

impl Publishers {
    fn new(manifest_text: &str) -> Publishers {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("sdk-manifest.toml");
        fs::write(&manifest, manifest_text).unwrap();
        Publishers { server: Server::start(), dir, manifest }
    }

    fn serve(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.server.route(path, Route { body: body.into(), ..Route::default() });
    }

    /// A stand-in file at `path`; returns its bytes.
    fn file(&self, path: &str, size: usize) -> Vec<u8> {
        let body = tar_gz("stand-in", size);
        self.serve(path, body.clone());
        body
    }

    fn bases(&self) -> String {
        let base = self.server.url("");
        [
            ("emsdk", "emsdk"),
            ("emscripten-builds", "builds"),
            ("nodejs", "node"),
            ("github-api", "api"),
            ("python", "python"),
            ("zlib", "zlib"),
            ("sourceware", "sw"),
            ("bytereef", "br"),
            ("sqlite", "sqlite"),
        ]
        .map(|(name, path)| format!("{name}={}{path}", base.trim_end_matches('/').to_owned() + "/"))
        .join(",")
    }

    fn pin(&self, args: &[&str]) -> Output {
        let (manifest, cache) = (self.manifest.display().to_string(), self.dir.path().join("cache"));
        let cache = cache.display().to_string();
        let mut all = vec!["pin", "--manifest", &manifest, "--cache-dir", &cache, "--message-format", "json"];
        all.extend_from_slice(args);
        xtask(&all, &[("XTASK_RECORD_BASES", &self.bases())])
    }

    fn manifest_text(&self) -> String {
        fs::read_to_string(&self.manifest).unwrap()
    }

    /// The emsdk records of one version: the tags file and revisions.bzl with the given sha256s.
    fn emsdk(&self, at: &str, version: &str, release: &str, shas: &[(&str, &str)]) {
        let tags = format!(
            r#"{{"aliases": {{"latest": "{version}"}}, "releases": {{"{version}": "{release}", "{version}-asserts": "1aa74b7a00d9a0ac2542e2bbb2f4d4a3633f1092"}}}}"#
        );
        self.serve(&format!("/emsdk/{at}/emscripten-releases-tags.json"), tags);
        let fields: String = shas.iter().map(|(k, v)| format!("        {k} = \"{v}\",\n")).collect();
        let bzl = format!("# This file is automatically updated by emsdk/scripts/update_bazel_workspace.py\n# DO NOT MODIFY\n\nEMSCRIPTEN_TAGS = {{\n    \"{version}\": struct(\n        hash = \"{release}\",\n{fields}    ),\n}}\n");
        self.serve(&format!("/emsdk/{at}/bazel/revisions.bzl"), bzl);
    }

    /// A GitHub release with one asset; `digest` false leaves it out, as for pre-2025 uploads.
    fn github(&self, repo: &str, tag: &str, file: &str, body: &[u8], digest: bool) {
        let download = self.server.url(&format!("/gh/{file}"));
        self.serve(&format!("/gh/{file}"), body.to_vec());
        let digest = if digest { format!("\"sha256:{}\"", sha256(body)) } else { "null".into() };
        let json = format!(
            r#"{{"url": "x", "tag_name": "{tag}", "name": "{tag}", "assets": [{{"name": "{file}.sig", "size": 3, "browser_download_url": "{download}.sig", "digest": null}}, {{"name": "{file}", "content_type": "application/gzip", "size": {}, "browser_download_url": "{download}", "digest": {digest}}}]}}"#,
            body.len()
        );
        self.serve(&format!("/api/repos/{repo}/releases/tags/{tag}"), json);
    }
}

const BASE: &str = "# The project's own comment, kept.\nschema = 1\n";

/// The `pinned` events on stdout.
fn events(out: &Output) -> Vec<serde_json::Value> {
    let all = support::schema::parse_events(&support::schema::events(), &stdout(out));
    all.into_iter().filter(|e| e["event"] == "pinned").collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char } else { '=' });
        }
    }
    out
}

#[test]
fn every_component_is_pinned_from_its_publishers_record_and_then_fetches() {
    let p = Publishers::new(BASE);
    // emscripten: emsdk's two records at tag 6.0.8, two hosts.
    let linux = p.file(&format!("/builds/linux/{RELEASE_6_0_8}/wasm-binaries.tar.xz"), 3000);
    let mac = p.file(&format!("/builds/mac/{RELEASE_6_0_8}/wasm-binaries-arm64.tar.xz"), 3100);
    p.emsdk("6.0.8", "6.0.8", RELEASE_6_0_8, &[("sha_linux", &sha256(&linux)), ("sha_mac_arm64", &sha256(&mac))]);
    // Node: SHASUMS256.txt.
    let arm = p.file("/node/v24.19.0/node-v24.19.0-linux-arm64.tar.xz", 2000);
    let darwin = p.file("/node/v24.19.0/node-v24.19.0-darwin-x64.tar.gz", 2100);
    p.serve(
        "/node/v24.19.0/SHASUMS256.txt",
        format!(
            "{}  node-v24.19.0-linux-arm64.tar.xz\n{}  node-v24.19.0-darwin-x64.tar.gz\n",
            sha256(&arm),
            sha256(&darwin)
        ),
    );
    // The WASI SDK, wasmtime and libffi: GitHub's release digests.
    p.github("WebAssembly/wasi-sdk", "wasi-sdk-34", "wasi-sdk-34.0-arm64-macos.tar.gz", &tar_gz("w", 1500), true);
    p.github("bytecodealliance/wasmtime", "v49.0.1", "wasmtime-v49.0.1-x86_64-macos.tar.xz", &tar_gz("t", 1600), true);
    p.github("libffi/libffi", "v3.5.2", "libffi-3.5.2.tar.gz", &tar_gz("f", 1700), true);
    // CPython: python.org's Sigstore bundle.
    let python = p.file("/python/3.12.14/Python-3.12.14.tar.xz", 4000);
    let bundle = format!(
        r#"{{"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2", "verificationMaterial": {{}}, "messageSignature": {{"messageDigest": {{"algorithm": "SHA2_256", "digest": "{}"}}, "signature": "MEUC"}}}}"#,
        base64(&hex_bytes(&sha256(&python)))
    );
    p.serve("/python/3.12.14/Python-3.12.14.tar.xz.sigstore", bundle);
    // The libraries' download pages.
    let zlib = p.file("/zlib/fossils/zlib-1.3.1.tar.gz", 1200);
    p.serve(
        "/zlib/",
        format!(
            "<P><A HREF=\"zlib-1.3.1.tar.gz\">zlib-1.3.1.tar.gz</A> (1598K, SHA-256 hash <tt>{}</tt>)",
            sha256(&zlib)
        ),
    );
    let bzip2 = p.file("/sw/pub/bzip2/bzip2-1.0.8.tar.gz", 1300);
    p.serve(
        "/sw/bzip2/downloads.html",
        format!(
            "<li><a href=\"/pub/bzip2/bzip2-1.0.8.tar.gz\">bzip2-1.0.8.tar.gz</a> SHA256 checksum: {}</li>",
            sha256(&bzip2)
        ),
    );
    let mpdec = p.file("/br/software/mpdecimal/releases/mpdecimal-4.0.1.tar.gz", 1400);
    p.serve(
        "/br/mpdecimal/download.html",
        format!("<tr><td>mpdecimal-4.0.1.tar.gz</td><td>{}</td></tr>", sha256(&mpdec)),
    );
    // sqlite: the PRODUCT line's SHA3-256.
    let sqlite = p.file("/sqlite/2025/sqlite-amalgamation-3500400.zip", 1100);
    let sha3: String = sha3::Sha3_256::digest(&sqlite).iter().map(|b| format!("{b:02x}")).collect();
    p.serve(
        "/sqlite/download.html",
        format!("<!--\nPRODUCT,3.50.4,2025/sqlite-amalgamation-3500400.zip,{},{sha3}\n-->", sqlite.len()),
    );

    let runs: [&[&str]; 10] = [
        &["emscripten", "6.0.8", "--host", "x86_64-linux", "--host", "aarch64-macos", "--python", "3.16"],
        &["node", "24.19.0", "--host", "aarch64-linux", "--host", "x86_64-macos", "--python", "3.14"],
        &["wasi-sdk", "34", "--host", "aarch64-macos", "--python", "3.16"],
        &["wasmtime", "49.0.1", "--host", "x86_64-macos", "--python", "3.14"],
        &["libffi", "3.5.2"],
        &["cpython", "3.12.14"],
        &["zlib", "1.3.1"],
        &["bzip2", "1.0.8"],
        &["mpdecimal", "4.0.1"],
        &["sqlite", "3.50.4"],
    ];
    let mut pinned = Vec::new();
    for args in runs {
        let out = p.pin(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        pinned.extend(events(&out));
    }
    let by = |name: &str, host: Option<&str>| {
        pinned
            .iter()
            .find(|e| e["name"] == name && e["host"].as_str() == host)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let em = by("emscripten-6.0.8", Some("aarch64-macos"));
    assert_eq!(em["sha256"], sha256(&mac));
    assert_eq!(em["record"], "emsdk 6.0.8: emscripten-releases-tags.json and bazel/revisions.bzl (sha_mac_arm64)");
    assert_eq!(by("node-24", Some("x86_64-macos"))["sha256"], sha256(&darwin));
    assert_eq!(by("cpython-3.12.14", None)["sha256"], sha256(&python));
    assert_eq!(by("sqlite", None)["sha256"], sha256(&sqlite));
    assert_eq!(by("sqlite", None)["size"], sqlite.len());
    assert_eq!(pinned.len(), 12);
    // Two hosts, one reading of each record.
    assert_eq!(p.server.requests_for("/emsdk/6.0.8/bazel/revisions.bzl").len(), 1);
    assert_eq!(p.server.requests_for("/node/v24.19.0/SHASUMS256.txt").len(), 1);

    // Written once each, after the comment; the manifest parses, and every entry fetches and
    // verifies from scratch (a fresh cache) through the ordinary fetch layer.
    let text = p.manifest_text();
    assert!(text.starts_with(BASE), "{text}");
    assert_eq!(text.matches("[[artifact]]").count(), 12);
    assert!(text.contains("python = [\"3.12\"]") && text.contains("strip = \"Python-3.12.14\""), "{text}");
    let (manifest, fresh) = (p.manifest.display().to_string(), p.dir.path().join("fresh").display().to_string());
    for host_args in [vec![], vec!["--message-format", "json"]] {
        let mut args = vec!["fetch", "--manifest", &manifest, "--cache-dir", &fresh];
        args.extend(host_args);
        let out = xtask(&args, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Pinning the same again changes nothing.
    let out = p.pin(&["zlib", "1.3.1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(p.manifest_text(), text);
    // A line asked for is added to those the name already serves.
    let out = p.pin(&["node", "24.19.0", "--host", "aarch64-linux", "--python", "3.15"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(events(&out)[0]["python"], serde_json::json!(["3.14", "3.15"]));
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn a_record_that_disagrees_with_its_file_is_refused_and_nothing_is_written() {
    let p = Publishers::new(BASE);
    p.file("/node/v24.19.0/node-v24.19.0-linux-arm64.tar.xz", 2000);
    let wrong = sha256(b"another file");
    p.serve("/node/v24.19.0/SHASUMS256.txt", format!("{wrong}  node-v24.19.0-linux-arm64.tar.xz\n"));
    let out = p.pin(&["node", "24.19.0", "--host", "aarch64-linux", "--python", "3.14"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(line.contains("nothing written") && line.contains("SHASUMS256.txt") && line.contains("sha256"), "{err}");
    assert_eq!(p.manifest_text(), BASE);
    assert!(events(&out).is_empty(), "nothing pinned");

    // Two hosts, the second's file wrong: the first is not written either.
    let good = p.file("/node/v24.19.0/node-v24.19.0-darwin-x64.tar.gz", 2100);
    p.serve(
        "/node/v24.19.0/SHASUMS256.txt",
        format!("{}  node-v24.19.0-darwin-x64.tar.gz\n{wrong}  node-v24.19.0-linux-arm64.tar.xz\n", sha256(&good)),
    );
    let out = p.pin(&["node", "24.19.0", "--host", "x86_64-macos", "--host", "aarch64-linux", "--python", "3.14"]);
    assert!(!out.status.success());
    assert_eq!(p.manifest_text(), BASE);
}

#[test]
fn a_missing_record_is_refused_with_the_reason_and_trust_download_says_what_it_did() {
    let p = Publishers::new(BASE);
    // emsdk at 6.0.8 knows nothing of 6.0.10.
    p.emsdk("6.0.8", "6.0.8", RELEASE_6_0_8, &[("sha_linux", &"a".repeat(64))]);
    let out = p.pin(&["emscripten", "6.0.10", "--emsdk-ref", "6.0.8", "--host", "x86_64-linux", "--python", "3.16"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("has no emscripten 6.0.10") && err.contains("--emsdk-ref"), "{err}");
    // No record at all (404).
    let out = p.pin(&["emscripten", "6.0.9", "--host", "x86_64-linux", "--python", "3.16"]);
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
    // A release asset without a digest: refused, unless the user takes the bytes as they come.
    let body = tar_gz("old", 1000);
    p.github("libffi/libffi", "v3.4.6", "libffi-3.4.6.tar.gz", &body, false);
    let out = p.pin(&["libffi", "3.4.6"]);
    let err = stderr(&out);
    assert!(!out.status.success() && err.contains("reports no digest") && err.contains("--trust-download"), "{err}");
    assert_eq!(p.manifest_text(), BASE);
    let out = p.pin(&["libffi", "3.4.6", "--trust-download"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let event = &events(&out)[0];
    assert_eq!(event["sha256"], sha256(&body));
    assert!(event["record"].as_str().unwrap().starts_with("no publisher record: sha256 measured by"), "{event}");
    // A toolchain needs its lines said; offline is refused before anything is read.
    let out = p.pin(&["wasmtime", "49.0.1", "--host", "x86_64-macos"]);
    assert!(stderr(&out).contains("--python X.Y"), "{}", stderr(&out));
    for hostile in ["../1.3", "1.3/../../x", "1.3\u{1b}[2J", ".hidden"] {
        let out = p.pin(&["zlib", hostile]);
        assert!(stderr(&out).contains("is not a plain version"), "{}", stderr(&out));
        assert!(!stderr(&out).contains('\u{1b}'));
    }
    let out = p.pin(&["zlib", "1.3.1", "--offline"]);
    assert!(stderr(&out).contains("needs the network"), "{}", stderr(&out));
}

/// A tree shaped like CPython main after its 2026-09 bump: emscripten 6.0.10, Node 24, WASI SDK 34.
fn main_shaped_tree(dir: &Path) -> PathBuf {
    let tree = dir.join("cpython");
    fs::create_dir_all(tree.join("Include")).unwrap();
    fs::create_dir_all(tree.join("Platforms/emscripten")).unwrap();
    fs::create_dir_all(tree.join("Platforms/WASI")).unwrap();
    fs::write(
        tree.join("Include/patchlevel.h"),
        "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 16\n#define PY_MICRO_VERSION 0\n#define PY_VERSION \"3.16.0a0+\"\n",
    )
    .unwrap();
    fs::write(
        tree.join("Platforms/emscripten/config.toml"),
        "emscripten-version = \"6.0.10\"\nnode-version = \"24\"\ntest-args = [\"-m\", \"test\"]\n",
    )
    .unwrap();
    fs::write(tree.join("configure"), "#!/bin/sh\nexit 1\n").unwrap();
    fs::write(tree.join("Platforms/WASI/config.toml"), "[targets]\nwasi-sdk = 34\nhost-triple = \"wasm32-wasip1\"\n")
        .unwrap();
    tree
}

/// Node 24 and the WASI SDK 34 pinned for x86_64-linux; emscripten 6.0.10 not.
fn manifest_without_6_0_10() -> String {
    let entry = |name: &str, component: &str, version: &str, file: &str| {
        format!("\n[[artifact]]\nname = \"{name}\"\ncomponent = \"{component}\"\nversion = \"{version}\"\nurl = \"https://e.org/{file}\"\nsha256 = \"{}\"\nhost = \"x86_64-linux\"\npython = [\"3.16\"]\n", "b".repeat(64))
    };
    [
        BASE.to_owned(),
        entry("node-24", "node", "24.19.0", "node.tar.xz"),
        entry("wasi-sdk-34", "wasi-sdk", "34.0", "sdk.tar.gz"),
    ]
    .concat()
}

#[test]
fn from_tree_pins_only_what_a_main_shaped_tree_names_and_the_manifest_lacks() {
    let p = Publishers::new(&manifest_without_6_0_10());
    let tree = main_shaped_tree(p.dir.path());
    let release = "6f0a1e0a4c8b1f5d2e3c4b5a69788796a5b4c3d2";
    let body = p.file(&format!("/builds/linux/{release}/wasm-binaries.tar.xz"), 2500);
    p.emsdk("6.0.10", "6.0.10", release, &[("sha_linux", &sha256(&body))]);
    let before = p.manifest_text();

    // Into an overlay that does not exist yet: the manifest is not touched.
    let overlay = p.dir.path().join("pins.toml");
    let tree_flag = tree.display().to_string();
    let overlay_flag = overlay.display().to_string();
    let out = p.pin(&["--from-tree", &tree_flag, "--host", "x86_64-linux", "--overlay", &overlay_flag]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pinned = events(&out);
    assert_eq!(pinned.len(), 1, "{pinned:?}");
    assert_eq!(
        (pinned[0]["name"].as_str(), pinned[0]["python"].clone()),
        (Some("emscripten-6.0.10"), serde_json::json!(["3.16"]))
    );
    assert_eq!(p.manifest_text(), before);
    let written = fs::read_to_string(&overlay).unwrap();
    assert!(written.starts_with("schema = 1\n") && written.contains("python = [\"3.16\"]"), "{written}");

    // With the overlay in place, the tree needs nothing more.
    let out = p.pin(&["--from-tree", &tree_flag, "--host", "x86_64-linux", "--overlay", &overlay_flag]);
    assert!(out.status.success() && events(&out).is_empty(), "{}", stderr(&out));

    // A host the manifest has nothing for: emscripten from emsdk, Node 24's newest release from
    // Node's index, the WASI SDK 34 from its release digest.
    let mac = p.file(&format!("/builds/mac/{release}/wasm-binaries-arm64.tar.xz"), 2600);
    p.emsdk("6.0.10", "6.0.10", release, &[("sha_linux", &sha256(&body)), ("sha_mac_arm64", &sha256(&mac))]);
    p.serve(
        "/node/index.json",
        r#"[{"version": "v25.1.0"}, {"version": "v24.20.1"}, {"version": "v24.9.0"}, {"version": "v22.21.0"}]"#,
    );
    let node = p.file("/node/v24.20.1/node-v24.20.1-darwin-arm64.tar.gz", 1900);
    p.serve("/node/v24.20.1/SHASUMS256.txt", format!("{}  node-v24.20.1-darwin-arm64.tar.gz\n", sha256(&node)));
    p.github("WebAssembly/wasi-sdk", "wasi-sdk-34", "wasi-sdk-34.0-arm64-macos.tar.gz", &tar_gz("w", 1500), true);
    let out = p.pin(&["--from-tree", &tree_flag, "--host", "aarch64-macos", "--overlay", &overlay_flag]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<(String, String)> = events(&out)
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e["version"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [("emscripten-6.0.10", "6.0.10"), ("node-24", "24.20.1"), ("wasi-sdk-34", "34.0")];
    assert_eq!(names, expected.map(|(n, v)| (n.to_owned(), v.to_owned())));
    let written = fs::read_to_string(&overlay).unwrap();
    assert_eq!(written.matches("[[artifact]]").count(), 4, "{written}");
}

#[test]
fn bootstrap_of_a_main_shaped_tree_names_the_pin_command() {
    let p = Publishers::new(&manifest_without_6_0_10());
    let tree = main_shaped_tree(p.dir.path());
    let patches = p.dir.path().join("no-patches");
    fs::create_dir_all(&patches).unwrap();
    let (manifest, work) = (p.manifest.display().to_string(), p.dir.path().join("work").display().to_string());
    let (tree_flag, patches_flag) = (tree.display().to_string(), patches.display().to_string());
    let cache = p.dir.path().join("cache").display().to_string();
    let args = [
        "bootstrap",
        "--offline",
        "--manifest",
        &manifest,
        "--cache-dir",
        &cache,
        "--work-dir",
        &work,
        "--target",
        "emscripten-node",
        "--python-source",
        &tree_flag,
        "--patches",
        &patches_flag,
    ];
    let out = xtask(&args, &[]);
    let err = stderr(&out);
    assert!(!out.status.success());
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(
        line.contains("emscripten 6.0.10") && line.contains(&format!("`cargo xtask pin --from-tree {tree_flag}`")),
        "{err}"
    );
    assert!(line.contains("--pin-missing"), "{line}");
    // --pin-missing never runs offline.
    let mut pin_missing = args.to_vec();
    pin_missing.push("--pin-missing");
    let err = stderr(&xtask(&pin_missing, &[]));
    assert!(err.contains("--pin-missing reads each publisher's checksum record"), "{err}");

    // Connected (to the loopback publishers): the missing emscripten is pinned into the manifest
    // before the toolchain stage, which then takes it (the stand-in is no emscripten release, so
    // the build stops there).
    let release = "6f0a1e0a4c8b1f5d2e3c4b5a69788796a5b4c3d2";
    let body = p.file(&format!("/builds/linux/{release}/wasm-binaries.tar.xz"), 2500);
    p.emsdk("6.0.10", "6.0.10", release, &[("sha_linux", &sha256(&body))]);
    let online: Vec<&str> = pin_missing.iter().copied().filter(|a| *a != "--offline").collect();
    let out = xtask(&online, &[("XTASK_RECORD_BASES", &p.bases())]);
    assert!(stdout(&out).contains("pinned emscripten-6.0.10 6.0.10 for x86_64-linux"), "{}", stderr(&out));
    let text = p.manifest_text();
    assert!(text.contains("name = \"emscripten-6.0.10\"") && text.contains(&sha256(&body)), "{text}");
    assert!(stderr(&out).contains("emscripten-6.0.10"), "{}", stderr(&out));
}
