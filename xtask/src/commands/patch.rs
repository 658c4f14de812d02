use anyhow::bail;

use crate::build::source::SourceTree;
use crate::build::{target, Layout};
use crate::context::Context;
use crate::flags;
use crate::patches::{self, Tree};

impl flags::Patch {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let target = target::target(self.selection.target);
        let layout = Layout::new(&super::bootstrap::work_dir(context, &self.selection), target);
        let fetcher = context.fetcher()?;
        let source = super::bootstrap::resolve_source(context, &self.selection, &fetcher, &layout)?;
        let series = series_for(context, &source, target)?;
        let tree = tree(&source, &layout);
        if self.revert {
            for line in tree.revert_all()? {
                println!("{line}");
            }
            return Ok(());
        }
        if self.refresh {
            for line in tree.refresh(&series)? {
                println!("{line}");
            }
            return Ok(());
        }
        if self.check {
            if series.is_empty() {
                println!("no patches for CPython {} ({})", source.line, target.name);
            }
            let mut failed = 0;
            for patch in &series {
                match tree.state(patch) {
                    Ok(state) => println!("{}: {}", patch.name, state.describe()),
                    Err(error) => {
                        println!("{}: does not apply", patch.name);
                        eprintln!("error: {error:#}");
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} of {} patches do not apply to {}", series.len(), source.root.display());
            }
            return Ok(());
        }
        for line in tree.apply_series(&series)? {
            println!("{line}");
        }
        Ok(())
    }
}

fn series_for(context: &Context, source: &SourceTree, target: &target::Target) -> anyhow::Result<Vec<patches::Patch>> {
    patches::load_series(
        &context.workspace.join("patches"),
        &source.line.to_string(),
        patches::toolchain_name(target.toolchain),
    )
}

fn tree<'a>(source: &'a SourceTree, layout: &Layout) -> Tree<'a> {
    Tree {
        root: &source.root,
        source: &source.identity,
        stamp: layout.work.join("stamps/patches.json"),
        line: source.line.to_string(),
    }
}

/// The bootstrap's patch step: bring the source to the series of its line and target.
pub fn apply_series(
    context: &Context,
    source: &SourceTree,
    target: &target::Target,
    layout: &Layout,
) -> anyhow::Result<()> {
    let series = series_for(context, source, target)?;
    for line in tree(source, layout).apply_series(&series)? {
        if !line.ends_with("skipped") {
            eprintln!("patch: {line}");
        }
    }
    Ok(())
}
