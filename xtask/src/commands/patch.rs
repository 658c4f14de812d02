use anyhow::bail;

use crate::context::Context;
use crate::flags;
use crate::patches::{self, Patch, PatchableTree};
use crate::selection::patches_dir;
use crate::source;
use crate::text::{printable, printable_path};

impl flags::Patch {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let target = self.selection.target()?;
        let work = self.selection.work_dir(context)?;
        let _held = work.lock()?;
        let fetcher = context.fetcher()?;
        let choice = self.selection.source_choice(context)?;
        let source = source::resolve(&choice, &fetcher, &context.manifest, &context.machine, &work, &work.tool_env())?;
        for line in patches::undo_in_place(&source, &work.in_place_patch_stamp())? {
            crate::events::say(&line);
        }
        let patches_dir = patches_dir(context, self.patches.as_deref());
        let series_name = target.toolchain.series_name();
        let series = patches::load_series(&patches_dir, &source.line.to_string(), series_name)?;
        // The series' tree in the work dir, where bootstrap builds it; the source stays as it is.
        let place = work.series_tree(series_name);
        let (shadow, _) = patches::sync_tree(&source, &place)?;
        let tree = PatchableTree::new(&shadow, place.stamp.clone());
        let lines = if self.revert {
            tree.revert_all()?
        } else if self.refresh {
            tree.refresh(&series)?
        } else if self.check {
            if series.is_empty() {
                crate::events::say(&format!("no patches for CPython {} ({})", source.line, target.name));
            }
            return check(&tree, &series);
        } else {
            tree.apply_series(&series)?
        };
        for line in lines {
            crate::events::say(&line);
        }
        Ok(())
    }
}

/// Prints each patch's state; fails if any does not apply.
fn check(tree: &PatchableTree, series: &[Patch]) -> anyhow::Result<()> {
    let mut failed = 0;
    for patch in series {
        match tree.state(patch) {
            Ok(state) => crate::events::say(&format!("{}: {}", printable(&patch.name), state.label())),
            Err(error) => {
                crate::events::say(&format!("{}: does not apply", printable(&patch.name)));
                eprintln!("error: {}", crate::text::error_text(&error));
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} patches do not apply to {}", series.len(), printable_path(tree.root));
    }
    Ok(())
}
