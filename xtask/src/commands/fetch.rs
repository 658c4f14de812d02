use crate::context::Context;
use crate::fetch::{Fetched, Fetcher};
use crate::flags;
use crate::manifest::{ArchiveFormat, Artifact};
use crate::toolchains;

impl flags::Fetch {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let artifacts = context.manifest.select(&self.names, &context.host)?;
        let fetcher = context.fetcher()?;
        let mut failures = Vec::new();
        for artifact in &artifacts {
            match fetch_one(&fetcher, artifact, self.install) {
                Ok(fetched) => context.print_fetched(&fetched),
                Err(error) => {
                    eprintln!("error: {error:#}");
                    failures.push(artifact.name.clone());
                }
            }
        }
        if !failures.is_empty() {
            anyhow::bail!("{} of {} artifacts failed: {}", failures.len(), artifacts.len(), failures.join(", "));
        }
        Ok(())
    }
}

fn fetch_one(fetcher: &Fetcher, artifact: &Artifact, install: bool) -> anyhow::Result<Fetched> {
    let mut fetched = fetcher.fetch(artifact)?;
    if install && artifact.format != ArchiveFormat::File {
        fetched.installed = Some(toolchains::install(fetcher, artifact)?);
    }
    Ok(fetched)
}
