use anyhow::Context as _;

use crate::context::{absolute, Context};
use crate::fetch::export;
use crate::flags;

impl flags::MirrorExport {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let artifacts = context.manifest.select(&self.names, &context.host)?;
        let dir = absolute(&self.dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("create the mirror directory {}", dir.display()))?;
        let fetcher = context.fetcher()?;
        for artifact in &artifacts {
            let fetched = fetcher.fetch(artifact)?;
            export::export_file(&dir, artifact, &fetched).with_context(|| format!("export {artifact}"))?;
            super::fetch::report(context.message_format, &fetched);
        }
        export::write_manifest(&dir, &artifacts)?;
        eprintln!("mirror: {} artifacts in {}", artifacts.len(), dir.display());
        Ok(())
    }
}
