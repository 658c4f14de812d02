use anyhow::bail;

use crate::context::Context;
use crate::flags::{self, MessageFormat};
use crate::manifest::Artifact;
use crate::pin::{self, Bases, Publishers, Request};
use crate::source::{self, PythonLine};
use crate::text::PathText;

impl flags::Pin {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        refuse_offline(context, "pin")?;
        let bases = Bases::new(&self.record_bases)?;
        let client = crate::fetch::build_client(&context.fetch.network)?;
        let fetcher = context.fetcher()?;
        let how = Publishers {
            bases: &bases,
            client: &client,
            fetcher: &fetcher,
            trust_download: self.trust_download,
            read: Default::default(),
        };
        let hosts = hosts(&self.hosts, &context.machine)?;
        for line in &self.python {
            PythonLine::parse(line)?;
        }
        let requests = match (&self.from_tree, self.component, &self.version) {
            (Some(dir), _, _) => {
                let dir = context.absolute(dir);
                let line = source::line_of(&dir)?;
                let pins = source::pins::read(&dir)?;
                let node = |major: &str| pin::newest_node(&how, major);
                let requests = pin::missing_from_tree(&pins, line, &context.manifest, &hosts, &node)?;
                if requests.is_empty() {
                    eprintln!(
                        "pin: the manifest already pins what {} names for CPython {line} on {}",
                        dir.shown(),
                        hosts.join(", ")
                    );
                }
                requests
            }
            (None, Some(component), Some(version)) => vec![Request {
                component,
                version: version.clone(),
                hosts: if component.per_host() { hosts } else { vec![] },
                python: self.python.clone(),
                emsdk_ref: self.emsdk_ref.clone(),
            }],
            _ => bail!("pin: name a COMPONENT and VERSION, or --from-tree DIR"),
        };
        let file = context.overlays.last().unwrap_or(&context.manifest_file);
        for artifact in &pin::pin_all(&requests, &context.manifest, &how, file)? {
            print_pinned(context, artifact, file);
        }
        Ok(())
    }
}

/// Pinning reads records and downloads: never with --offline.
pub fn refuse_offline(context: &Context, what: &str) -> anyhow::Result<()> {
    match context.fetch.offline {
        true => bail!("{what} reads each publisher's checksum record and downloads the file: it needs the network (drop --offline); an air-gapped site pins on its connected side, then carries the manifest and a `mirror export` across"),
        false => Ok(()),
    }
}

/// `--host` values: manifest host names, or `all`; none means this machine.
fn hosts(given: &[String], machine: &str) -> anyhow::Result<Vec<String>> {
    if given.is_empty() {
        return Ok(vec![machine.to_owned()]);
    }
    if given.iter().any(|h| h == "all") {
        return Ok(pin::HOSTS.iter().map(|h| h.name.to_owned()).collect());
    }
    for h in given {
        if pin::host(h).is_none() {
            let known: Vec<&str> = pin::HOSTS.iter().map(|h| h.name).collect();
            bail!("--host `{}`: unknown host; known: {}, all", crate::text::printable(h), known.join(", "));
        }
    }
    Ok(given.to_vec())
}

pub fn print_pinned(context: &Context, artifact: &Artifact, file: &std::path::Path) {
    match context.message_format {
        MessageFormat::Json => {
            let event = serde_json::json!({
                "event": "pinned",
                "name": artifact.name,
                "component": artifact.component,
                "version": artifact.version,
                "host": artifact.host,
                "python": artifact.python,
                "url": artifact.url,
                "sha256": artifact.sha256,
                "size": artifact.size,
                "record": artifact.record,
                "file": file,
            });
            println!("{event}");
        }
        MessageFormat::Human => println!(
            "pinned {} {}{} sha256 {} ({}) into {}",
            artifact.name,
            artifact.version,
            artifact.host.as_deref().map(|h| format!(" for {h}")).unwrap_or_default(),
            artifact.sha256,
            artifact.record.as_deref().unwrap_or(""),
            file.shown()
        ),
    }
}
