//! The wiring of `cargo xtask bootstrap`, fast: the real binary runs every stage (fetch, source,
//! patches, toolchains, deps, configure/make, run record) against a miniature CPython release
//! with a real configure script and Makefile, compiled by the host's C compiler (support/mini.rs).
//! The real builds are in the e2e tier.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::mini::{self, Mini};
use support::{stderr, stdout, xtask};

const ALL_STEPS: [&str; 4] = ["configure build python", "make build python", "configure host", "make host"];

#[test]
fn a_second_bootstrap_changes_nothing_and_run_uses_the_recorded_runner() {
    let mini = Mini::new();
    let (ran, err) = mini.bootstrap(&[]);
    assert_eq!(ran, ALL_STEPS, "{err}");
    for stage in
        ["install: wasi-sdk-24 24.0", "install: wasmtime 49.0.3", "deps: building zlib", "deps: building bzip2"]
    {
        assert!(err.contains(stage), "missing `{stage}`:\n{err}");
    }
    assert!(mini.path("work/wasi/python.wasm").is_file());
    // The guest's `/` holds the way down to every directory mapped at its own path.
    let work = mini.path("work");
    assert!(mini.path("work/wasi/guest-root").join(work.strip_prefix("/").unwrap()).is_dir());

    let (ran, err) = mini.bootstrap(&[]);
    assert!(ran.is_empty(), "{err}");
    assert!(err.contains("build: nothing changed (4 steps up to date)"), "{err}");
    for busy in ["fetch: ", "install: ", "deps: ", "source: extracting", "patch: "] {
        assert!(!err.lines().any(|l| l.starts_with(busy)), "a no-op bootstrap printed `{busy}`:\n{err}");
    }

    let out = mini.xtask("run", &["--", "hello", "world"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "mini python: hello world\n");

    // The interpreter's exit status is the command's.
    assert_eq!(mini.xtask("run", &["--", "!"]).status.code(), Some(7));

    // Another line than the one built is not silently run instead.
    let work = mini.path("work").display().to_string();
    for command in ["run", "test"] {
        let out = mini.xtask_from(command, &["--work-dir", &work, "--python", "3.12"], &[]);
        let err = stderr(&out);
        assert_eq!((out.status.code(), err.lines().count()), (Some(3), 1), "{err}");
        assert!(
            err.contains("holds the wasi build of CPython 3.13 from") && err.contains("not of CPython 3.12"),
            "{err}"
        );
    }
}

#[test]
fn an_edited_source_file_reruns_only_make() {
    let mini = Mini::new();
    mini.bootstrap(&[]);
    let edited = mini::PYTHON_C.replace("mini python:", "edited python:");
    fs::write(mini.source_file(), edited).unwrap();
    let (ran, err) = mini.bootstrap(&[]);
    assert_eq!(ran, ["make build python", "make host"], "{err}");
    let out = mini.xtask("run", &["--", "x"]);
    assert_eq!(stdout(&out), "edited python: x\n", "{}", stderr(&out));
}

#[test]
fn a_changed_configure_argument_reruns_the_target_steps_only() {
    let mini = Mini::new();
    mini.bootstrap(&[]);
    let (ran, err) = mini.bootstrap(&["--configure-arg=--with-pydebug"]);
    assert_eq!(ran, ["configure host", "make host"], "{err}");
    let args = fs::read_to_string(mini.path("work/wasi/configure.args")).unwrap();
    assert!(args.lines().any(|a| a == "--with-pydebug"), "{args}");
    let (ran, err) = mini.bootstrap(&["--configure-arg=--with-pydebug"]);
    assert!(ran.is_empty(), "{err}");
}

#[test]
fn the_patch_series_comes_from_the_given_directory_and_reaches_the_build() {
    let mini = Mini::new();
    let patches = mini.path("patches");
    write_series(&patches, "louder.patch", "mini python:", "MINI PYTHON:");
    let patches_flag = format!("--patches={}", patches.display());
    let (ran, err) = mini.bootstrap(&[&patches_flag]);
    assert!(err.contains("patch: louder.patch: applied"), "{err}");
    assert_eq!(ran, ALL_STEPS, "{err}");
    assert_eq!(stdout(&mini.xtask("run", &["--", "a"])), "MINI PYTHON: a\n");

    // The patch went into the target's tree; the build Python's tree and the release are as shipped.
    let pristine = fs::read_to_string(mini.source_file()).unwrap();
    assert!(pristine.contains("mini python:"), "{pristine}");
    let native = fs::read_to_string(mini.path("work/trees/native/Programs/python.c")).unwrap();
    assert_eq!(native, pristine);

    // Without the series the patch is reverted, and only the target's make runs again.
    let (ran, err) = mini.bootstrap(&[&format!("--patches={}", mini.path("no-patches").display())]);
    assert!(err.contains("patch: louder.patch: reverted (no longer in the series)"), "{err}");
    assert_eq!(ran, ["make host"], "{err}");
    assert_eq!(stdout(&mini.xtask("run", &["--", "a"])), "mini python: a\n");
}

#[test]
fn a_checkout_is_never_written_and_its_patched_build_changes_nothing_the_second_time() {
    let mini = Mini::new();
    mini.bootstrap(&[]);
    let checkout = mini.path("checkout");
    copy_tree(&mini.path("work/src/Python-3.13.99"), &checkout);
    let before = snapshot(&checkout);
    let patches = mini.path("patches");
    write_series(&patches, "louder.patch", "mini python:", "MINI PYTHON:");
    let (work, checkout_flag) = (mini.path("work2").display().to_string(), checkout.display().to_string());
    let source = ["--work-dir", &work, "--python-source", &checkout_flag];
    let patches_flag = format!("--patches={}", patches.display());
    let bootstrap = || mini.xtask_from("bootstrap", &source, &["--no-test", &patches_flag]);
    let out = bootstrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&mini.xtask_from("run", &source, &["--", "a"])), "MINI PYTHON: a\n");
    assert_eq!(snapshot(&checkout), before, "the build wrote into the checkout");

    let out = bootstrap();
    let err = stderr(&out);
    assert!(err.contains("build: nothing changed (4 steps up to date)"), "{err}");
    assert!(!err.lines().any(|l| l.starts_with("patch: ")), "{err}");
    let out = mini.xtask_from("patch", &source, &["--revert", &patches_flag]);
    assert!(stdout(&out).contains("louder.patch: reverted"), "{}", stderr(&out));
    assert_eq!(snapshot(&checkout), before, "patch --revert wrote into the checkout");
}

#[test]
fn a_runner_given_by_path_needs_no_pin_on_a_host_the_manifest_does_not_cover() {
    let mini = Mini::new();
    // The manifest without its wasmtime: as on a host the manifest pins no wasmtime for.
    let text = fs::read_to_string(&mini.manifest).unwrap();
    let blocks: Vec<&str> = text.split("[[artifact]]").collect();
    let kept: Vec<&str> = blocks.iter().copied().filter(|b| !b.contains("name = \"wasmtime\"")).collect();
    assert_eq!(kept.len() + 1, blocks.len());
    fs::write(&mini.manifest, kept.join("[[artifact]]")).unwrap();
    let out = mini.xtask("bootstrap", &["--no-test"]);
    let err = stderr(&out);
    assert!(!out.status.success() && err.contains("`cargo xtask pin wasmtime VERSION --host"), "{err}");

    let wasmtime = mini.path("own-wasmtime");
    fs::write(&wasmtime, mini::WASMTIME).unwrap();
    fs::set_permissions(&wasmtime, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let given = wasmtime.display().to_string();
    let (_, err) = mini.bootstrap(&["--wasmtime", &given]);
    assert!(err.contains("is not pinned for this host"), "{err}");
    assert_eq!(stdout(&mini.xtask("run", &["--", "a"])), "mini python: a\n");
}

#[test]
fn dry_run_and_mirror_export_by_target_take_exactly_what_the_build_uses() {
    let mini = Mini::new();
    // Another line's release and another host's SDK, whose files do not exist: a plain export
    // would stop at them; an export by target never looks at them.
    let mut text = fs::read_to_string(&mini.manifest).unwrap();
    for (name, host) in [("cpython-3.12", ""), ("wasi-sdk-24", "host = \"aarch64-macos\"\n")] {
        text += &format!(
            "\n[[artifact]]\nname = \"{name}\"\ncomponent = \"{}\"\nversion = \"1\"\nurl = \"file:///nonexistent/{name}.tar.gz\"\nsha256 = \"{}\"\n{host}python = [\"3.12\"]\n",
            name.rsplit_once('-').unwrap().0,
            "c".repeat(64)
        );
    }
    fs::write(&mini.manifest, text).unwrap();
    let out = mini.xtask("bootstrap", &["--dry-run", "--message-format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let events = support::schema::parse_events(&support::schema::events(), &stdout(&out));
    let needs: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "need").collect();
    let names: Vec<&str> = needs.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["cpython-3.13", "wasi-sdk-24", "wasmtime", "zlib", "bzip2", "mpdecimal", "sqlite"]);
    assert!(
        needs.iter().all(|n| n["cached"] == (n["role"] == "source")),
        "only the release was fetched (its pins read): {needs:?}"
    );
    assert!(!mini.path("work").join("wasi").exists(), "a dry run builds nothing");

    let (manifest, cache) = (mini.manifest.display().to_string(), mini.path("cache").display().to_string());
    let export = mini.path("export");
    let export_flag = export.display().to_string();
    let plain = xtask(&["mirror", "export", &export_flag, "--manifest", &manifest, "--cache-dir", &cache], &[]);
    assert!(!plain.status.success(), "the other line's release does not exist");
    let args = [
        "mirror",
        "export",
        &export_flag,
        "--manifest",
        &manifest,
        "--cache-dir",
        &cache,
        "--target",
        "wasi",
        "--python",
        "3.13",
    ];
    let out = xtask(&args, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut exported: Vec<String> =
        fs::read_dir(&export).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    exported.sort();
    assert_eq!(
        exported,
        ["bzip2", "cpython-3.13", "manifest.toml", "mpdecimal", "sqlite", "wasi-sdk-24", "wasmtime", "zlib"]
    );
}

/// Every file under `root` with its bytes and mtime.
fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut files = vec![];
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let modified = fs::metadata(&path).unwrap().modified().unwrap();
                files.push((path.clone(), fs::read(&path).unwrap(), modified));
            }
        }
    }
    files.sort();
    files
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        fs::create_dir_all(to).unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn a_missing_build_is_one_line_that_says_what_to_do() {
    let mini = Mini::new();
    let out = mini.xtask("run", &["--", "x"]);
    assert_eq!(out.status.code(), Some(3), "an input error");
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no build found at") && err.contains("run `cargo xtask bootstrap` first"), "{err}");
}

/// A series for 3.13 with one patch (for every target) replacing `old` with `new` in python.c.
fn write_series(dir: &Path, name: &str, old: &str, new: &str) {
    fs::create_dir_all(dir.join("3.13")).unwrap();
    fs::write(dir.join("3.13/series.toml"), format!("[[patch]]\nfile = \"{name}\"\n")).unwrap();
    let line = "    printf(\"OLD\");\n";
    let patch = format!(
        "What: a test patch\n\n--- a/Programs/python.c\n+++ b/Programs/python.c\n@@ -2,3 +2,3 @@\n int main(int argc, char **argv) {{\n-{}+{}     for (int i = 1; i < argc; i++) printf(\" %s\", argv[i]);\n",
        line.replace("OLD", old),
        line.replace("OLD", new)
    );
    fs::write(dir.join("3.13").join(name), patch).unwrap();
}

/// A plain file where the library builds go: one line naming the library and the path (exit 7).
#[test]
fn a_file_in_place_of_the_library_builds_names_the_library() {
    let mini = Mini::new();
    fs::create_dir_all(mini.path("cache")).unwrap();
    fs::write(mini.path("cache/deps"), "in the way").unwrap();
    let out = mini.xtask("bootstrap", &["--no-test"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
    assert!(line.contains("cache/deps") && line.contains("is a file"), "{line}");
    assert!(["zlib", "bzip2", "mpdecimal", "sqlite"].iter().any(|library| line.contains(library)), "{line}");
    assert_eq!(fs::read_to_string(mini.path("cache/deps")).unwrap(), "in the way");
}
