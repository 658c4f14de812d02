use super::request::parse_line;
use super::*;
use fs_err as fs;

fn bundle() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("web");
    fs::create_dir_all(root.join("lib")).unwrap();
    fs::write(root.join("index.html"), "<p>repl</p>").unwrap();
    fs::write(root.join("python.wasm"), b"\0asm").unwrap();
    fs::write(root.join("lib/a.mjs"), "export {}").unwrap();
    fs::write(root.join(".lock"), "").unwrap();
    fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(root.join("python.wasm"), root.join("inside.wasm")).unwrap();
    let root = root.canonicalize().unwrap();
    (dir, root)
}

#[test]
fn only_regular_files_inside_the_bundle_are_served() {
    let (_dir, root) = bundle();
    assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
    assert_eq!(resolve(&root, "/lib/a.mjs"), Some(root.join("lib/a.mjs")));
    assert_eq!(resolve(&root, "//lib///a.mjs"), Some(root.join("lib/a.mjs")));
    // A symlink that stays inside is followed; one that leads out is not.
    assert_eq!(resolve(&root, "/inside.wasm"), Some(root.join("python.wasm")));
    for refused in [
        "/../secret.txt",
        "/lib/../../secret.txt",
        "/escape.txt",
        "/.lock",
        "/lib",
        "/lib/",
        "/nope",
        "/./index.html",
        "/a\\..\\b",
    ] {
        assert_eq!(resolve(&root, refused), None, "{refused}");
    }
}

#[test]
fn request_lines_are_decoded_and_bad_ones_refused() {
    let request = parse_line("GET /lib/a%20b.mjs?v=1#x HTTP/1.1").unwrap();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("GET", "/lib/a b.mjs"));
    // Encoded traversal decodes to `..`, which resolve() then refuses.
    assert_eq!(parse_line("GET /%2e%2e/secret.txt HTTP/1.1").unwrap().path, "/../secret.txt");
    for bad in [
        "GET /a%00b HTTP/1.1",
        "GET /a%zz HTTP/1.1",
        "GET /a%+1 HTTP/1.1",
        "GET /%ff HTTP/1.1",
        "GET http://x/ HTTP/1.1",
        "GET / SPDY/3",
        "GET /",
        "GET / HTTP/1.1 extra",
        "",
    ] {
        assert!(parse_line(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn media_types_are_the_ones_browsers_require() {
    assert_eq!(content_type(Path::new("python.wasm")), "application/wasm");
    assert_eq!(content_type(Path::new("python.mjs")), "text/javascript");
    assert_eq!(content_type(Path::new("worker.js")), "text/javascript");
    assert_eq!(content_type(Path::new("index.html")), "text/html; charset=utf-8");
    assert_eq!(content_type(Path::new("python3.14.zip")), "application/zip");
    assert_eq!(content_type(Path::new("LICENSE")), "application/octet-stream");
}
