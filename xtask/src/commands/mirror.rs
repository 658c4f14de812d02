use anyhow::Context as _;

use crate::context::Context;
use crate::fetch::export;
use crate::flags;
use crate::text::PathText;

impl flags::MirrorExport {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let artifacts = match self.build.needs(context)? {
            Some(needs) => needs.into_iter().map(|n| n.artifact).collect(),
            None => context.manifest.select(&self.names, &context.machine)?,
        };
        let dir = context.absolute(&self.dir);
        fs_err::create_dir_all(&dir)?;
        let fetcher = context.fetcher()?;
        for artifact in &artifacts {
            let fetched = fetcher.fetch(artifact)?;
            export::export_file(&dir, artifact, &fetched).with_context(|| format!("export {artifact}"))?;
            context.print_fetched(&fetched);
        }
        export::write_manifest(&dir, &artifacts)?;
        eprintln!("mirror: {} artifacts in {}", artifacts.len(), dir.shown());
        Ok(())
    }
}
