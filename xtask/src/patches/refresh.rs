//! `patch --refresh`: after the series was applied and the tree edited by hand, write each patch
//! again from the tree.
//!
//! Each patch is re-diffed against the tree as it was before that patch: the pristine files kept
//! in the stamp, with the earlier patches applied. A file's edits go to the last patch that touches
//! it; earlier patches keep their hunks for that file. Headers are kept. Files no patch touches are
//! not picked up (add them to a patch by hand once, then refresh).

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use super::diff::{self, Diff};
use super::{unified, Patch, PatchableTree};
use crate::files::{hex, write_atomic};
use crate::text::PathText;

impl PatchableTree<'_> {
    /// Rewrites the patch files of `series` from the tree; returns a line per patch.
    pub fn refresh(&self, series: &[Patch]) -> anyhow::Result<Vec<String>> {
        let mut stamp = self.read_stamp()?;
        let applied: Vec<&str> = stamp.applied.iter().map(|a| a.sha256.as_str()).collect();
        let wanted: Vec<&str> = series.iter().map(|p| p.sha256.as_str()).collect();
        if applied != wanted {
            bail!(
                "refresh re-diffs an applied series, and {} does not hold exactly this series: run `cargo xtask patch` with the same --python/--target first, edit the tree, then refresh",
                self.root.shown()
            );
        }
        let (mut current, last_patch) = pristine_files(&stamp.originals, series)?;
        let mut report = Vec::new();
        for (index, patch) in series.iter().enumerate() {
            let mut body = String::new();
            for file in &patch.diff.files {
                let base = current[&file.path].clone();
                let new = if last_patch[file.path.as_str()] == index {
                    super::read_tree_file(self.root, &file.path)?.unwrap_or_default()
                } else {
                    diff::apply(&base, &file.hunks).map_err(|f| self.wrong_base(&patch.name, &file.path, &f))?
                };
                if let Some(section) = unified::file_diff(&file.path, &base, &new)? {
                    body.push_str(&section);
                }
                current.insert(file.path.clone(), new);
            }
            if body.is_empty() {
                report.push(format!(
                    "{}: the tree holds none of its changes; not rewritten (drop it from series.toml if that is meant)",
                    patch.name
                ));
                continue;
            }
            let text = format!("{}{body}", patch.diff.header);
            Diff::parse(&text).with_context(|| format!("{}: the refreshed patch does not parse", patch.name))?;
            if text == patch.text {
                report.push(format!("{}: unchanged", patch.name));
                continue;
            }
            write_atomic(&patch.path, &text)?;
            stamp.applied[index].text = text.clone();
            stamp.applied[index].sha256 = hex(&Sha256::digest(text.as_bytes()));
            self.write_stamp(&stamp)?;
            report.push(format!("{}: refreshed ({})", crate::text::printable(&patch.name), patch.path.shown()));
        }
        Ok(report)
    }
}

/// Each touched file's text, by path.
type Texts = BTreeMap<String, String>;

/// The pristine text of every file the series touches, and for each file the index of the last
/// patch that touches it.
fn pristine_files<'a>(
    originals: &BTreeMap<String, Option<String>>,
    series: &'a [Patch],
) -> anyhow::Result<(Texts, BTreeMap<&'a str, usize>)> {
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    let mut last_patch: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, patch) in series.iter().enumerate() {
        for file in &patch.diff.files {
            if file.creates || file.deletes {
                bail!(
                    "{}: refresh does not rewrite patches that create or delete files ({}); edit it by hand",
                    patch.name,
                    file.path
                );
            }
            let original = originals.get(&file.path).cloned().flatten().with_context(|| {
                    format!("the patch stamp has no pristine copy of {}: revert and re-apply the series (`cargo xtask patch --revert`, then `cargo xtask patch`), redo the edit, then refresh", file.path)
                })?;
            current.entry(file.path.clone()).or_insert(original);
            last_patch.insert(&file.path, index);
        }
    }
    Ok((current, last_patch))
}
