//! The tree of a patch series in the work dir: synced with the source (farm.rs), the patches
//! of its stamp kept where the source did not change under them, then the series applied. And
//! the one-time undo of what earlier versions of this tool applied to the source in place.

use std::collections::BTreeSet;
use std::path::Path;

use super::{farm, Patch, PatchableTree, Synced};
use crate::files::remove_file_if_exists;
use crate::source::SourceTree;
use crate::workdir::SeriesTree;

impl PatchableTree<'_> {
    /// The files this tool's patches hold in the tree, while the stamp still describes `source`:
    /// the same source, and every touched file there as it was when the patches went in.
    /// Otherwise the stamp is dropped (the sync puts the source's files back) and none are held.
    fn owned_files(&self, source: &Path) -> anyhow::Result<BTreeSet<String>> {
        let stamp = self.read_stamp();
        let unchanged = |(path, text): (&String, &Option<String>)| {
            Path::new(path).is_relative() && std::fs::read_to_string(source.join(path)).ok() == *text
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
            place.root.display(),
            synced.linked,
            synced.copied,
            synced.removed,
            source.root.display()
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
    if !tree.read_stamp().applied.is_empty() {
        let reverted = tree.revert_all().map_err(|error| {
            anyhow::anyhow!(
                "{} holds patches an earlier version of this tool applied in place, and they no longer revert ({error:#}): restore those files (`git checkout -- FILE` in a checkout; for a release, delete the work dir's src/) and run again",
                source.root.display()
            )
        })?;
        report.extend(reverted.into_iter().map(|line| format!("{line} in {}", source.root.display())));
    }
    remove_file_if_exists(old_stamp)?;
    report.push("this work dir predates one tree per patch series: the builds move to its trees/, so configure and make run once more".into());
    Ok(report)
}
