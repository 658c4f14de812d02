use crate::context::Context;
use crate::events::{self, Event};
use crate::flags;
use crate::text::PathText;
use crate::upkeep::prune::{self, Removed};

impl flags::Prune {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let cache = &context.fetch.cache.root;
        let mut removed = prune::cache(cache, &context.manifest, &self.keep, self.dry_run)?;
        for dir in &self.work_dirs {
            removed.extend(prune::work_dir(&context.absolute(dir), self.dry_run)?);
        }
        for entry in &removed {
            show(entry, self.dry_run);
        }
        let bytes: u64 = removed.iter().map(|r| r.bytes).sum();
        let verb = if self.dry_run { "would free" } else { "freed" };
        eprintln!("prune: {verb} {:.1} MB in {} entries", bytes as f64 / 1e6, removed.len());
        Ok(())
    }
}

fn show(entry: &Removed, dry_run: bool) {
    let verb = if dry_run { "would remove" } else { "removed" };
    eprintln!(
        "prune: {verb} {} ({:.1} MB): {}",
        crate::text::printable_path(&entry.path),
        entry.bytes as f64 / 1e6,
        entry.why
    );
    events::emit(&Event::Pruned { path: entry.path.plain(), bytes: entry.bytes, why: entry.why, dry_run });
}
