//! What a build needs: the artifacts `bootstrap` would use for some targets and a source (the
//! release, each target's compiler and runner, its libraries), found the way bootstrap finds
//! them, without building anything. `fetch --target`, `mirror export --target` and
//! `bootstrap --dry-run` take this list.
//!
//! A release's own pins (Platforms/*/config.toml, 3.14 on) are read from the verified tarball,
//! so the release is fetched first; a checkout's are read from the checkout.

use crate::fetch::Fetcher;
use crate::manifest::{Artifact, Manifest};
use crate::source::{self, SourceChoice, SourceTree};
use crate::target::Target;
use crate::toolchains::{self, Overrides};

/// One artifact a build needs, and for what.
#[derive(Debug, Clone)]
pub struct Need {
    pub artifact: Artifact,
    /// `source`, `compiler`, `runner` or `library`.
    pub role: &'static str,
    /// The targets that need it.
    pub targets: Vec<&'static str>,
}

pub fn needs(
    choice: &SourceChoice,
    targets: &[&'static Target],
    manifest: &Manifest,
    machine: &str,
    fetcher: &Fetcher,
    overrides: &Overrides,
) -> anyhow::Result<Vec<Need>> {
    let (tree, release) = describe(choice, manifest, machine, fetcher)?;
    let mut needs: Vec<Need> = Vec::new();
    let mut add = |artifact: Artifact, role: &'static str, target: &'static str| match needs
        .iter_mut()
        .find(|n| n.artifact.name == artifact.name && n.artifact.host == artifact.host)
    {
        Some(need) if !need.targets.contains(&target) => need.targets.push(target),
        Some(_) => {}
        None => needs.push(Need { artifact, role, targets: vec![target] }),
    };
    for target in targets {
        if let Some(release) = &release {
            add(release.clone(), "source", target.name);
        }
        let pins = toolchains::pins(manifest, machine, target.toolchain, &tree, overrides)?;
        for (artifact, role) in [(pins.compiler, "compiler"), (pins.runner, "runner")] {
            if let Some(artifact) = artifact {
                add(artifact, role, target.name);
            }
        }
        for name in target.libraries {
            let pin = tree.pins.libraries.iter().find(|p| p.component == *name);
            add(crate::deps::artifact_for(manifest, machine, name, pin)?, "library", target.name);
        }
    }
    Ok(needs)
}

/// The source as far as choosing artifacts goes: its line and its own pins (nothing extracted).
fn describe(
    choice: &SourceChoice,
    manifest: &Manifest,
    machine: &str,
    fetcher: &Fetcher,
) -> anyhow::Result<(SourceTree, Option<Artifact>)> {
    let (root, line, pins, release) = match source::release_artifact(choice, manifest, machine)? {
        Some((artifact, line)) => {
            let fetched = fetcher.fetch(&artifact)?;
            let top = artifact.strip.clone().unwrap_or_else(|| format!("Python-{}", artifact.version));
            let pins = source::pins::read_archive(&fetched.path, artifact.format, &top)?;
            (fetched.path, line, pins, Some(artifact))
        }
        None => {
            let SourceChoice::Checkout(dir) = choice else { unreachable!("release_artifact is None for a checkout") };
            (dir.clone(), source::line_of(dir)?, source::pins::read(dir)?, None)
        }
    };
    let tree = SourceTree {
        origin: root.clone(),
        root,
        line,
        identity: String::new(),
        source_date_epoch: 0,
        pins,
        version: String::new(),
        revision: None,
    };
    Ok((tree, release))
}
