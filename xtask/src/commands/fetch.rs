use crate::context::Context;
use crate::fetch::Fetched;
use crate::flags::{self, MessageFormat};

impl flags::Fetch {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let artifacts = context.manifest.select(&self.names, &context.host)?;
        let fetcher = context.fetcher()?;
        let mut failures = Vec::new();
        for artifact in &artifacts {
            match fetcher.fetch(artifact) {
                Ok(fetched) => report(context.message_format, &fetched),
                Err(error) => {
                    eprintln!("error: {error:#}");
                    failures.push(artifact.name.clone());
                }
            }
        }
        if !failures.is_empty() {
            anyhow::bail!(
                "{} of {} artifacts failed: {}",
                failures.len(),
                artifacts.len(),
                failures.join(", ")
            );
        }
        Ok(())
    }
}

pub fn report(format: MessageFormat, fetched: &Fetched) {
    match format {
        MessageFormat::Json => println!(
            "{}",
            serde_json::to_string(fetched).expect("fetched serializes")
        ),
        MessageFormat::Human => {
            let how = if fetched.cached { "cached" } else { "fetched" };
            println!(
                "{} {} {how} {}",
                fetched.name,
                fetched.version,
                fetched.path.display()
            );
        }
    }
}
