use crate::context::Context;
use crate::fetch::{Fetched, Fetcher};
use crate::flags;
use crate::manifest::{ArchiveFormat, Artifact};
use crate::toolchains;

impl flags::Fetch {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let artifacts = match self.build.needs(context)? {
            Some(needs) => needs.into_iter().map(|n| n.artifact).collect(),
            None => context.manifest.select(&self.names, &context.machine)?,
        };
        let fetcher = context.fetcher()?;
        let cache = &context.fetch.cache.root;
        let wanted: Vec<String> = artifacts.iter().map(ToString::to_string).collect();
        let _in_use = crate::upkeep::prune::hold_cache(cache, &wanted.join(", "))?;
        let mut failures = Vec::new();
        for artifact in &artifacts {
            match fetch_one(&fetcher, artifact, self.install) {
                Ok(fetched) => context.print_fetched(&fetched),
                Err(error) => failures.push((artifact.name.clone(), error)),
            }
        }
        // One failure is its own one line; several get a line each and a count.
        if failures.len() > 1 {
            for (_, error) in &failures {
                eprintln!("error: {}", crate::text::error_text(error));
            }
            let names: Vec<&str> = failures.iter().map(|(name, _)| name.as_str()).collect();
            anyhow::bail!("{} of {} artifacts failed: {}", failures.len(), artifacts.len(), names.join(", "));
        }
        match failures.pop() {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }
}

fn fetch_one(fetcher: &Fetcher, artifact: &Artifact, install: bool) -> anyhow::Result<Fetched> {
    let mut fetched = fetcher.fetch(artifact)?;
    if install && artifact.format != ArchiveFormat::File {
        fetched.installed = Some(toolchains::install(fetcher, artifact)?);
    }
    Ok(fetched)
}
