//! The engine on synthetic trees.

use super::*;
use crate::text::PathText;
use fs_err as fs;

const PATCH: &str = "What: greet louder\nLines: 3.13\nUpstream: no\n\n--- a/src/greet.c\n+++ b/src/greet.c\n@@ -1,3 +1,3 @@\n int main(void) {\n-    puts(\"hello\");\n+    puts(\"HELLO\");\n }\n";

const ORIGINAL: &str = "int main(void) {\n    puts(\"hello\");\n}\n";

struct Fixture {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn new(content: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("tree/src")).unwrap();
        fs::write(dir.path().join("tree/src/greet.c"), content).unwrap();
        fs::write(dir.path().join("0001-greet.patch"), PATCH).unwrap();
        let root = dir.path().join("tree");
        Fixture { dir, root }
    }

    fn tree(&self) -> PatchableTree<'_> {
        PatchableTree {
            root: &self.root,
            source: "sha-of-source",
            stamp: self.dir.path().join("stamps/patches.json"),
            line: "3.13".into(),
        }
    }

    fn patch(&self) -> Patch {
        read_patch(&self.dir.path().join("0001-greet.patch")).unwrap()
    }

    /// Writes another patch file next to the first and reads it.
    fn extra_patch(&self, name: &str, text: &str) -> Patch {
        fs::write(self.dir.path().join(name), text).unwrap();
        read_patch(&self.dir.path().join(name)).unwrap()
    }

    fn content(&self) -> String {
        fs::read_to_string(self.dir.path().join("tree/src/greet.c")).unwrap()
    }
}

#[test]
fn applies_once_and_then_skips() {
    let f = Fixture::new(ORIGINAL);
    let series = [f.patch()];
    assert_eq!(f.tree().state(&series[0]).unwrap(), State::NotApplied);
    assert_eq!(f.tree().apply_series(&series).unwrap(), ["0001-greet.patch: applied"]);
    assert!(f.content().contains("HELLO"));
    assert_eq!(f.tree().state(&series[0]).unwrap(), State::Applied);
    assert_eq!(f.tree().apply_series(&series).unwrap(), ["0001-greet.patch: applied, skipped"]);
    assert_eq!(f.content().matches("HELLO").count(), 1);
}

#[test]
fn a_wrong_base_names_patch_file_and_hunk_and_leaves_the_tree_alone() {
    let other = "int main(void) {\n    puts(\"bonjour\");\n}\n";
    let f = Fixture::new(other);
    let err = f.tree().apply_series(&[f.patch()]).unwrap_err().to_string();
    assert!(err.contains("patch 0001-greet.patch does not apply"), "{err}");
    assert!(err.contains("src/greet.c: hunk #1 `@@ -1,3 +1,3 @@`"), "{err}");
    assert!(err.contains("this series is for CPython 3.13"), "{err}");
    assert_eq!(f.content(), other);
}

#[test]
fn revert_restores_the_original() {
    let f = Fixture::new(ORIGINAL);
    f.tree().apply_series(&[f.patch()]).unwrap();
    assert_eq!(f.tree().revert_all().unwrap(), ["0001-greet.patch: reverted"]);
    assert_eq!(f.content(), ORIGINAL);
    assert!(f.tree().revert_all().is_err(), "nothing left to revert");
}

#[test]
fn a_change_upstream_already_made_is_reported_and_skipped() {
    let upstream = "int main(void) {\n    puts(\"HELLO\");\n}\n";
    let f = Fixture::new(upstream);
    assert_eq!(f.tree().state(&f.patch()).unwrap(), State::AlreadyUpstream);
    assert_eq!(f.tree().apply_series(&[f.patch()]).unwrap(), ["0001-greet.patch: already applied upstream, skipped"]);
    assert_eq!(f.content(), upstream);
    assert!(f.tree().revert_all().is_err(), "an upstream change is never reverted");
}

#[test]
fn a_patch_that_leaves_the_series_is_reverted() {
    let f = Fixture::new(ORIGINAL);
    f.tree().apply_series(&[f.patch()]).unwrap();
    assert_eq!(f.tree().apply_series(&[]).unwrap(), ["0001-greet.patch: reverted (no longer in the series)"]);
    assert_eq!(f.content(), ORIGINAL);
}

#[test]
fn new_files_can_be_created() {
    let f = Fixture::new(ORIGINAL);
    let text = "What: add a file\n\n--- /dev/null\n+++ b/src/new.h\n@@ -0,0 +1,2 @@\n+#define NEW 1\n+#define OLD 0\n";
    let patch = f.extra_patch("0002-new.patch", text);
    f.tree().apply_series(std::slice::from_ref(&patch)).unwrap();
    assert_eq!(fs::read_to_string(f.root.join("src/new.h")).unwrap(), "#define NEW 1\n#define OLD 0\n");
    assert_eq!(f.tree().state(&patch).unwrap(), State::Applied);
    f.tree().revert_all().unwrap();
    assert!(!f.root.join("src/new.h").exists(), "reverting a creation removes the file");
}

#[test]
fn every_shipped_series_parses_and_every_patch_has_a_header() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().join("patches");
    let mut seen = 0;
    for line in fs::read_dir(&root).unwrap().flatten().filter(|e| e.path().is_dir()) {
        let line = line.file_name().to_string_lossy().into_owned();
        for target in ["wasi", "emscripten"] {
            for patch in load_series(&root, &line, target).unwrap() {
                seen += 1;
                for field in ["What:", "Why:", "Lines:", "Targets:", "Upstream:"] {
                    assert!(patch.diff.header.contains(field), "{line}/{}: the header lacks `{field}`", patch.name);
                }
                assert!(!patch.diff.files.is_empty(), "{line}/{}: no files", patch.name);
            }
        }
    }
    assert!(seen > 0, "no shipped patches found under {}", root.shown());
}

#[test]
fn refresh_rewrites_a_patch_from_the_edited_tree_and_keeps_its_header() {
    let f = Fixture::new(ORIGINAL);
    f.tree().apply_series(&[f.patch()]).unwrap();
    fs::write(f.root.join("src/greet.c"), "int main(void) {\n    puts(\"HELLO, WORLD\");\n}\n").unwrap();
    assert_eq!(
        f.tree().refresh(&[f.patch()]).unwrap()[0],
        format!("0001-greet.patch: refreshed ({})", f.patch().path.shown())
    );
    let text = fs::read_to_string(f.dir.path().join("0001-greet.patch")).unwrap();
    assert!(text.starts_with("What: greet louder\nLines: 3.13\nUpstream: no\n\n--- a/src/greet.c\n"), "{text}");
    assert!(text.contains("-    puts(\"hello\");\n+    puts(\"HELLO, WORLD\");\n"), "{text}");
    // The refreshed patch is the applied one: nothing to re-apply, and it reverts to the original.
    assert_eq!(f.tree().apply_series(&[f.patch()]).unwrap(), ["0001-greet.patch: applied, skipped"]);
    assert_eq!(f.tree().refresh(&[f.patch()]).unwrap(), ["0001-greet.patch: unchanged"]);
    f.tree().revert_all().unwrap();
    assert_eq!(f.content(), ORIGINAL);
}

#[test]
fn refresh_gives_a_file_s_edits_to_the_last_patch_that_touches_it() {
    let f = Fixture::new(ORIGINAL);
    let second = "What: end louder\n\n--- a/src/greet.c\n+++ b/src/greet.c\n@@ -1,3 +1,4 @@\n int main(void) {\n     puts(\"HELLO\");\n+    puts(\"!\");\n }\n";
    let second = f.extra_patch("0002-end.patch", second);
    let series = || [f.patch(), second.clone()];
    f.tree().apply_series(&series()).unwrap();
    fs::write(f.root.join("src/greet.c"), f.content().replace("\"!\"", "\"!!\"")).unwrap();
    let report = f.tree().refresh(&series()).unwrap();
    assert_eq!(report[0], "0001-greet.patch: unchanged");
    assert!(report[1].starts_with("0002-end.patch: refreshed"), "{report:?}");
    assert!(fs::read_to_string(f.dir.path().join("0002-end.patch")).unwrap().contains("+    puts(\"!!\");\n"));
    f.tree().revert_all().unwrap();
    assert_eq!(f.content(), ORIGINAL);
}

#[test]
fn refresh_needs_the_series_applied() {
    let f = Fixture::new(ORIGINAL);
    let err = f.tree().refresh(&[f.patch()]).unwrap_err().to_string();
    assert!(err.contains("run `cargo xtask patch`"), "{err}");
    assert_eq!(fs::read_to_string(f.dir.path().join("0001-greet.patch")).unwrap(), PATCH);
}

/// The stamp goes first: when it cannot be written, the tree is left as it was.
#[test]
fn an_unwritable_stamp_leaves_the_tree_untouched() {
    let fixture = Fixture::new(ORIGINAL);
    fs::write(fixture.dir.path().join("stamps"), "a file where the stamps' directory goes").unwrap();
    let error = fixture.tree().apply_series(&[fixture.patch()]).unwrap_err();
    assert!(format!("{error:#}").contains("write the patch stamp"), "{error:#}");
    assert_eq!(fixture.content(), ORIGINAL);
}

/// A write that fails halfway through a patch of two files puts the first one back.
#[test]
fn a_patch_is_written_whole_or_not_at_all() {
    let fixture = Fixture::new(ORIGINAL);
    fs::write(fixture.root.join("b.txt"), "b\n").unwrap();
    let text = format!("{PATCH}--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-b\n+B\n");
    let patch = fixture.extra_patch("two.patch", &text);
    // The second file's path changes after planning to one under a plain file: its write fails.
    let mut planned = plan(&fixture.root, &patch.diff).unwrap().unwrap();
    fs::create_dir_all(fixture.root.join("d")).unwrap();
    planned[1].0 = fixture.root.join("d");
    assert!(write_all(planned).is_err());
    assert_eq!(fixture.content(), ORIGINAL, "the first file was not put back");
}
