//! The tree of a patch series in the work dir: synced with the source (farm.rs), the patches
//! of its stamp kept where the source did not change under them, then the series applied. And
//! the one-time undo of what earlier versions of this tool applied to the source in place.

use std::collections::BTreeSet;
use std::path::Path;

use super::{farm, Patch, PatchableTree, Synced};
use crate::files::remove_file_if_exists;
use crate::source::SourceTree;
use crate::text::PathText;
use crate::workdir::SeriesTree;

impl PatchableTree<'_> {
    /// The files this tool's patches hold in the tree, while the stamp still describes `source`:
    /// the same source, and every touched file there as it was when the patches went in.
    /// Otherwise the stamp is dropped (the sync puts the source's files back) and none are held.
    fn owned_files(&self, source: &Path) -> anyhow::Result<BTreeSet<String>> {
        let stamp = self.read_stamp()?;
        let unchanged = |(path, text): (&String, &Option<String>)| {
            Path::new(path).is_relative() && super::read_tree_file(source, path).ok().flatten() == *text
        };
        if !stamp.applied.is_empty() && stamp.originals.iter().all(unchanged) {
            return Ok(stamp.originals.into_keys().collect());
        }
        remove_file_if_exists(&self.stamp)?;
        Ok(BTreeSet::new())
    }
}

/// The tree of a series in the work dir, in step with `source` (farm.rs), with the patches the
/// stamp records kept where the source did not change under them. The tree has the source's
/// line, identity and pins.
pub fn sync_tree(source: &SourceTree, place: &SeriesTree) -> anyhow::Result<(SourceTree, Synced)> {
    let tree = SourceTree { root: place.root.clone(), ..source.clone() };
    let owned = PatchableTree::new(&tree, place.stamp.clone()).owned_files(&source.root)?;
    let placing = if source.is_checkout() { farm::Placing::Copy } else { farm::Placing::Link };
    let synced = farm::sync(&source.root, &place.root, &place.listing, &owned, placing)?;
    Ok((tree, synced))
}

/// The tree of a series with exactly `series` applied; returns it and a line for each thing done.
pub fn prepare(source: &SourceTree, place: &SeriesTree, series: &[Patch]) -> anyhow::Result<(SourceTree, Vec<String>)> {
    let (tree, synced) = sync_tree(source, place)?;
    let mut report = Vec::new();
    if synced.changed() {
        report.push(format!(
            "{}: {} linked, {} copied, {} removed from {}",
            place.root.shown(),
            synced.linked,
            synced.copied,
            synced.removed,
            source.root.shown()
        ));
    }
    let applied = PatchableTree::new(&tree, place.stamp.clone()).apply_series(series)?;
    report.extend(applied.into_iter().filter(|line| !line.ends_with("skipped")));
    Ok((tree, report))
}

/// Earlier versions of this tool patched the source in place, with one stamp for the work dir
/// (`old_stamp`). Reverts what it records, so the source is pristine again (a checkout gets its
/// files back), and drops it; returns a line for each thing done.
pub fn undo_in_place(source: &SourceTree, old_stamp: &Path) -> anyhow::Result<Vec<String>> {
    if !old_stamp.exists() {
        return Ok(vec![]);
    }
    let tree = PatchableTree::new(source, old_stamp.to_owned());
    let mut report = Vec::new();
    if !tree.read_stamp()?.applied.is_empty() {
        let reverted = tree.revert_all().map_err(|error| {
            anyhow::anyhow!(
                "{} holds patches an earlier version of this tool applied in place, and they no longer revert ({}): restore those files (`git checkout -- FILE` in a checkout; for a release, delete the work dir's src/) and run again",
                source.root.shown(),
                crate::text::printable(&crate::text::error_text(&error))
            )
        })?;
        report.extend(reverted.into_iter().map(|line| format!("{line} in {}", source.root.shown())));
    }
    remove_file_if_exists(old_stamp)?;
    report.push("this work dir predates one tree per patch series: the builds move to its trees/, so configure and make run once more".into());
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PythonLine;
    use fs_err as fs;

    const PATCH: &str = "What: greet louder\n\n--- a/src/greet.c\n+++ b/src/greet.c\n@@ -1,3 +1,3 @@\n int main(void) {\n-    puts(\"hello\");\n+    puts(\"HELLO\");\n }\n";
    const ORIGINAL: &str = "int main(void) {\n    puts(\"hello\");\n}\n";

    fn source(root: &Path, identity: &str) -> SourceTree {
        SourceTree {
            root: root.to_owned(),
            origin: root.to_owned(),
            line: PythonLine { major: 3, minor: 13 },
            identity: identity.into(),
            source_date_epoch: 0,
            pins: Default::default(),
            version: "3.13.0".into(),
            revision: None,
        }
    }

    fn place(work: &Path, series: &str) -> SeriesTree {
        SeriesTree {
            root: work.join("trees").join(series),
            stamp: work.join(format!("stamps/patches-{series}.json")),
            listing: work.join(format!("stamps/tree-{series}.json")),
        }
    }

    /// Two targets of different series in one work dir, built one after the other again and
    /// again (`--target all`): neither undoes the other, and the second round does nothing.
    #[test]
    fn two_series_in_one_work_dir_never_undo_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let (src, work) = (dir.path().join("src"), dir.path().join("work"));
        fs::create_dir_all(src.join("src")).unwrap();
        fs::write(src.join("src/greet.c"), ORIGINAL).unwrap();
        fs::write(dir.path().join("0001-greet.patch"), PATCH).unwrap();
        let series = [crate::patches::read_patch(&dir.path().join("0001-greet.patch")).unwrap()];
        for identity in ["sha-of-a-release", crate::source::CHECKOUT] {
            let source = source(&src, identity);
            let work = work.join(identity);
            let (wasi, emscripten) = (place(&work, "wasi"), place(&work, "emscripten"));
            let (_, first) = prepare(&source, &wasi, &[]).unwrap();
            let (tree, second) = prepare(&source, &emscripten, &series).unwrap();
            assert_eq!(first.len(), 1, "{first:?}");
            assert!(second.iter().any(|line| line == "0001-greet.patch: applied"), "{second:?}");
            for _ in 0..2 {
                assert_eq!(prepare(&source, &wasi, &[]).unwrap().1, Vec::<String>::new());
                assert_eq!(prepare(&source, &emscripten, &series).unwrap().1, Vec::<String>::new());
            }
            assert!(fs::read_to_string(tree.root.join("src/greet.c")).unwrap().contains("HELLO"));
            assert_eq!(fs::read_to_string(wasi.root.join("src/greet.c")).unwrap(), ORIGINAL);
            assert_eq!(fs::read_to_string(src.join("src/greet.c")).unwrap(), ORIGINAL);
        }
    }

    /// A source edited under a patch drops the stamp; the tree is patched afresh from the edit.
    #[test]
    fn an_edit_under_a_patch_is_taken_and_patched_again() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("src")).unwrap();
        fs::write(src.join("src/greet.c"), ORIGINAL).unwrap();
        fs::write(dir.path().join("p.patch"), PATCH).unwrap();
        let series = [crate::patches::read_patch(&dir.path().join("p.patch")).unwrap()];
        let source = source(&src, crate::source::CHECKOUT);
        let emscripten = place(&dir.path().join("work"), "emscripten");
        prepare(&source, &emscripten, &series).unwrap();
        fs::write(src.join("src/greet.c"), format!("{ORIGINAL}// edited\n")).unwrap();
        let (tree, report) = prepare(&source, &emscripten, &series).unwrap();
        assert!(report.iter().any(|line| line == "p.patch: applied"), "{report:?}");
        let text = fs::read_to_string(tree.root.join("src/greet.c")).unwrap();
        assert!(text.contains("HELLO") && text.ends_with("// edited\n"), "{text}");
    }
}
