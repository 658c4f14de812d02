//! The patch engine against hostile trees, patch directories and planted work-dir files,
//! through the real binary (`cargo xtask patch`) on a small checkout: nothing is written outside
//! the tree, nothing is read without bound, no number from a patch panics, and no change to a
//! tree exists without its stamp.

mod support;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::schema::{self, parse_events};
use support::{stdout, xtask};

const ORIGINAL: &str = "int main(void) {\n    puts(\"hello\");\n}\n";
const PATCHED: &str = "int main(void) {\n    puts(\"HELLO\");\n}\n";

/// A unified diff turning ORIGINAL into PATCHED in `file`, with hunk header `at`.
fn diff(file: &str, at: &str) -> String {
    format!(
        "What: greet louder\n\n--- a/{file}\n+++ b/{file}\n{at}\n int main(void) {{\n-    puts(\"hello\");\n+    puts(\"HELLO\");\n }}\n"
    )
}

/// A checkout of CPython 3.13 (as far as `patch` reads one), a patches dir and a work dir.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let case = Case { dir };
        let checkout = case.path("checkout");
        fs::create_dir_all(checkout.join("Include")).unwrap();
        fs::create_dir_all(checkout.join("Programs")).unwrap();
        fs::write(
            checkout.join("Include/patchlevel.h"),
            "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 13\n#define PY_VERSION \"3.13.99+\"\n",
        )
        .unwrap();
        fs::write(checkout.join("Programs/greet.c"), ORIGINAL).unwrap();
        fs::write(checkout.join("configure"), "#!/bin/sh\n").unwrap();
        fs::create_dir_all(case.patches("3.13")).unwrap();
        case
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A path in the patches dir.
    fn patches(&self, rel: &str) -> PathBuf {
        self.path("patches").join(rel)
    }

    /// `patches/3.13/series.toml` naming `files`; each (name, text) with text is written there.
    fn series(&self, entries: &[(&str, Option<&str>)]) {
        let mut toml = String::new();
        for (name, text) in entries {
            toml += &format!("[[patch]]\nfile = \"{name}\"\n");
            if let Some(text) = text {
                let path = self.patches("3.13").join(name);
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(path, text).unwrap();
            }
        }
        fs::write(self.patches("3.13/series.toml"), toml).unwrap();
    }

    fn patch(&self, extra: &[&str]) -> Output {
        let (checkout, work, patches, cache) =
            (self.path("checkout"), self.path("work"), self.path("patches"), self.path("cache"));
        let patches = format!("--patches={}", patches.display());
        let mut args = vec!["patch", "--message-format", "json", "--offline", "--target", "wasi", &patches];
        let dirs = [checkout.to_str().unwrap(), work.to_str().unwrap(), cache.to_str().unwrap()];
        args.extend(["--python-source", dirs[0], "--work-dir", dirs[1], "--cache-dir", dirs[2]]);
        args.extend_from_slice(extra);
        xtask(&args, &[])
    }

    fn tree(&self, rel: &str) -> PathBuf {
        self.path("work/trees/wasi").join(rel)
    }
}

/// The run's `result` event (every line checked against docs/events.schema.json).
fn result(out: &Output) -> Value {
    let events = parse_events(&schema::events(), &stdout(out));
    let last = events.last().cloned().expect("a run prints events");
    assert_eq!(last["event"], "result", "{events:?}");
    last
}

/// A run that failed with one error line (never a panic) holding every one of `words`.
fn failed_saying(out: &Output, words: &[&str]) -> Value {
    let result = result(out);
    let code = out.status.code().unwrap();
    assert!(code != 0 && code != 101, "exit {code}: {result}");
    let error = result["error"].as_str().unwrap_or_default().to_owned();
    for word in words {
        assert!(error.contains(word), "{word:?} not in {error:?}");
    }
    result
}

#[test]
fn a_directory_link_in_the_tree_is_not_written_through() {
    let case = Case::new();
    let outside = case.path("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("greet.c"), ORIGINAL).unwrap();
    symlink(&outside, case.path("checkout/Lib")).unwrap();
    case.series(&[("greet.patch", Some(&diff("Lib/greet.c", "@@ -1,3 +1,3 @@")))]);
    let out = case.patch(&[]);
    failed_saying(&out, &["Lib", "not a directory of the tree"]);
    assert_eq!(fs::read_to_string(outside.join("greet.c")).unwrap(), ORIGINAL);
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 1, "something was written outside the tree");
}

#[test]
fn a_device_in_place_of_a_patched_file_is_refused_without_reading_it() {
    let case = Case::new();
    symlink("/dev/zero", case.path("checkout/Programs/zero.c")).unwrap();
    case.series(&[("zero.patch", Some(&diff("Programs/zero.c", "@@ -1,3 +1,3 @@")))]);
    let started = Instant::now();
    let out = case.patch(&[]);
    failed_saying(&out, &["zero.c", "not a regular file"]);
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn a_series_entry_outside_the_patches_dir_is_refused_and_a_shared_one_inside_is_applied() {
    let case = Case::new();
    let elsewhere = case.path("elsewhere/x.patch");
    fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    let text = diff("Programs/greet.c", "@@ -1,3 +1,3 @@");
    fs::write(&elsewhere, &text).unwrap();
    case.series(&[("../../elsewhere/x.patch", None)]);
    failed_saying(&case.patch(&[]), &["outside the patches dir"]);
    symlink(&elsewhere, case.patches("3.13/linked.patch")).unwrap();
    case.series(&[("linked.patch", None)]);
    failed_saying(&case.patch(&[]), &["outside the patches dir"]);
    failed_saying(&case.patch(&["--refresh"]), &["outside the patches dir"]);
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), text);

    // Shared between lines inside the patches dir: applied.
    fs::create_dir_all(case.patches("3.12")).unwrap();
    fs::write(case.patches("3.12/shared.patch"), &text).unwrap();
    case.series(&[("../3.12/shared.patch", None)]);
    let out = case.patch(&[]);
    assert!(out.status.success(), "{}", result(&out));
    assert_eq!(fs::read_to_string(case.tree("Programs/greet.c")).unwrap(), PATCHED);
}

#[test]
fn hunk_numbers_near_the_integer_limit_are_an_error_not_a_panic() {
    for at in ["@@ -9223372036854775807,3 +9223372036854775807,3 @@", "@@ -1,18446744073709551615 +1,3 @@"] {
        let case = Case::new();
        case.series(&[("huge.patch", Some(&diff("Programs/greet.c", at)))]);
        failed_saying(&case.patch(&[]), &["huge.patch"]);
    }
    let case = Case::new();
    case.series(&[("near.patch", Some(&diff("Programs/greet.c", "@@ -2147483647,3 +2147483647,3 @@")))]);
    let out = case.patch(&[]);
    assert!(out.status.success(), "{}", result(&out));
}

#[test]
fn a_stamp_that_cannot_be_written_leaves_the_tree_unpatched_and_a_planted_one_is_one_line() {
    let case = Case::new();
    case.series(&[("greet.patch", Some(&diff("Programs/greet.c", "@@ -1,3 +1,3 @@")))]);
    let stamp = case.path("work/stamps/patches-wasi.json");
    fs::create_dir_all(stamp.join("in-the-way")).unwrap();
    failed_saying(&case.patch(&[]), &["patches-wasi.json", "remove it"]);
    let text = fs::read_to_string(case.tree("Programs/greet.c")).unwrap_or_default();
    assert_ne!(text, PATCHED, "a change without its record");

    fs::remove_dir_all(&stamp).unwrap();
    assert!(case.patch(&[]).status.success());
    assert_eq!(fs::read_to_string(case.tree("Programs/greet.c")).unwrap(), PATCHED);
    let kept = fs::read(&stamp).unwrap();
    for planted in ["garbage", "link"] {
        fs::remove_file(&stamp).unwrap();
        match planted {
            "garbage" => fs::write(&stamp, "{ not a stamp").unwrap(),
            _ => symlink(case.path("checkout/Programs/greet.c"), &stamp).unwrap(),
        }
        failed_saying(&case.patch(&[]), &["patches-wasi.json", "remove"]);
        failed_saying(&case.patch(&["--revert"]), &["patches-wasi.json", "remove"]);
        assert_eq!(fs::read_to_string(case.path("checkout/Programs/greet.c")).unwrap(), ORIGINAL);
    }
    fs::remove_file(&stamp).unwrap();
    fs::write(&stamp, kept).unwrap();
    assert!(case.patch(&["--revert"]).status.success());
    assert_eq!(fs::read_to_string(case.tree("Programs/greet.c")).unwrap(), ORIGINAL);
}

#[test]
fn the_work_dirs_own_directories_are_not_followed_when_they_are_links() {
    let case = Case::new();
    case.series(&[]);
    let outside = case.path("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(case.path("work")).unwrap();
    for own in ["stamps", "trees", "logs", "trees/wasi"] {
        let at = case.path("work").join(own);
        let _ = fs::remove_dir_all(case.path("work"));
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(&outside, &at).unwrap();
        failed_saying(&case.patch(&[]), &[own, "symbolic link", "remove it"]);
        assert_eq!(fs::read_dir(&outside).unwrap().count(), 0, "{own}: written through");
    }
    let _ = fs::remove_dir_all(case.path("work"));
    fs::create_dir_all(case.path("work")).unwrap();
    fs::write(case.path("work/trees"), "a file").unwrap();
    failed_saying(&case.patch(&[]), &["trees", "a file"]);
}

/// What the checkout's own files are named is outside text: printed escaped, never raw.
#[test]
fn patch_names_and_paths_from_outside_are_printed_escaped() {
    let case = Case::new();
    let name = "evil\n\u{1b}[2Jerror: forged.patch";
    case.series(&[(name.replace('\n', "\\n").replace('\u{1b}', "\\u001b").as_str(), None)]);
    fs::write(case.patches("3.13").join(name), diff("Programs/greet.c", "@@ -1,3 +1,3 @@")).unwrap();
    // The TOML escape `\n` names the file with a real newline.
    let out = case.patch(&["--check"]);
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(!text.lines().any(|l| l.starts_with("error: forged")), "{text}");
    assert!(text.contains("\\u{1b}"), "{text}");
}

/// The run record replaced by garbage, a link or a directory: one line naming it and what to do.
#[test]
fn a_run_record_replaced_by_garbage_a_link_or_a_directory_is_one_line() {
    let case = Case::new();
    let record = case.path("work/wasi/run.json");
    fs::create_dir_all(record.parent().unwrap()).unwrap();
    let work = case.path("work");
    for (planted, words) in [
        ("garbage", &["run.json", "not a record this tool wrote", "bootstrap"][..]),
        ("link", &["run.json", "symbolic link", "remove it"][..]),
        ("directory", &["run.json", "directory", "remove it"][..]),
    ] {
        let _ = fs::remove_file(&record).or_else(|_| fs::remove_dir_all(&record));
        match planted {
            "garbage" => fs::write(&record, "\u{1b}[2J{ not json").unwrap(),
            "link" => symlink(case.path("checkout/configure"), &record).unwrap(),
            _ => fs::create_dir_all(&record).unwrap(),
        }
        let args = ["run", "--message-format", "json", "--target", "wasi", "--work-dir", work.to_str().unwrap()];
        let out = xtask(&args, &[]);
        let result = failed_saying(&out, words);
        assert_eq!(result["exit_code"], 3, "{planted}: {result}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
    }
}

/// A checkout whose files the tool reads (patchlevel.h, Platforms/*/config.toml) are devices:
/// refused at once, never read.
#[test]
fn a_checkout_whose_read_files_are_devices_is_refused_without_reading_them() {
    let case = Case::new();
    fs::create_dir_all(case.path("checkout/Platforms/WASI")).unwrap();
    symlink("/dev/zero", case.path("checkout/Platforms/WASI/config.toml")).unwrap();
    case.series(&[]);
    let started = Instant::now();
    failed_saying(&case.patch(&[]), &["config.toml", "not a regular file"]);
    fs::remove_file(case.path("checkout/Include/patchlevel.h")).unwrap();
    symlink("/dev/zero", case.path("checkout/Include/patchlevel.h")).unwrap();
    failed_saying(&case.patch(&[]), &["patchlevel.h", "not a regular file"]);
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}
