use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::context::Context;
use crate::dist::provenance::{External, Role, Statement};
use crate::dist::{self, verify};
use crate::files::{remove_tree_if_exists, sha256_file, write_atomic};
use crate::flags;
use crate::process::{system_env, Cmd};
use crate::selection::patches_dir;
use crate::target::{self, Target};
use crate::text::printable;
use crate::text::PathText;
use crate::workdir::{EpochFrom, Pin, SourceInput};

impl flags::Verify {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let path = context.absolute(&self.path);
        let verified = verify::verify(&path)?;
        eprintln!("verify: {}: {} files match its SHA256SUMS and its provenance", path.shown(), verified.files);
        if !self.rebuild {
            return Ok(());
        }
        let built_by = verified.statement.tool_commit().unwrap_or_default().to_owned();
        let whole = built_by == dist::TOOL_COMMIT;
        if !whole {
            eprintln!(
                "verify: the dist was built by this tool at commit {}, this is {}: its provenance names the tool, so the package's files are compared, not the archive",
                printable(if built_by.is_empty() { "unknown" } else { &built_by }),
                if dist::TOOL_COMMIT.is_empty() { "unknown" } else { dist::TOOL_COMMIT }
            );
        }
        let rebuilt = self.rebuild(context, &verified.statement, &verified.stem)?;
        compare(&path, &rebuilt, whole)
    }

    /// Builds the dist again in the scratch dir, from the provenance's pins, with a child run of
    /// this program (bootstrap, then dist); returns the new archive.
    fn rebuild(&self, context: &Context, statement: &Statement, stem: &str) -> anyhow::Result<PathBuf> {
        let definition = &statement.predicate.build_definition;
        let external = &definition.external;
        let target = target::by_name(&external.target).with_context(|| {
            format!(
                "the provenance names the target `{}`, which this version does not build",
                printable(&external.target)
            )
        })?;
        let expected = format!("python-{}-{}", external.version, target.dist_name);
        if stem != expected {
            bail!(
                "the dist's top directory is {}, but its provenance describes {}: it was renamed or changed",
                printable(stem),
                printable(&expected)
            );
        }
        if external.configure_args != self.configure_arg {
            let shown: Vec<String> = external.configure_args.iter().map(|a| printable(a)).collect();
            bail!(
                "{stem} was built with the configure arguments [{}]; a dist's record does not choose what configure runs: pass each again with --configure-arg to rebuild with them",
                shown.join(", ")
            );
        }
        let pins: Vec<&Pin> = definition.resolved.iter().filter_map(|r| r.annotations.pin.as_ref()).collect();
        self.check_patches(
            context,
            target,
            external,
            definition.resolved.iter().filter(|r| r.annotations.role == Role::Patch).map(|r| {
                let digest = r.digest.get("sha256").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                (r.name.clone(), digest)
            }),
        )?;

        let scratch = match &self.scratch {
            Some(dir) => context.absolute(dir),
            None => context.workspace.join("target/rebuild"),
        };
        let ours = scratch.join("pins.toml").exists();
        let empty = std::fs::read_dir(&scratch).map_or(true, |mut d| d.next().is_none());
        if !ours && !empty {
            bail!(
                "{} is not empty and not a scratch dir of `verify --rebuild`: pass an empty or new --scratch DIR",
                scratch.shown()
            );
        }
        remove_tree_if_exists(&scratch)?;
        let overlay = scratch.join("pins.toml");
        write_atomic(&overlay, overlay_text(&pins)?)?;
        let (work, out) = (scratch.join("work"), scratch.join("dist"));

        let mut source_args = vec![];
        match &external.source {
            SourceInput::Release(_) => source_args.extend(["--python".to_owned(), external.version.clone()]),
            SourceInput::Checkout { commit } => {
                let Some(dir) = &self.python_source else {
                    bail!(
                        "{stem} was built from a checkout (commit {}): pass --python-source DIR with that commit checked out",
                        printable(commit.as_deref().unwrap_or("unknown"))
                    );
                };
                source_args.extend(["--python-source".to_owned(), context.absolute(dir).plain()]);
            }
        }
        let (flag, threads) = target_flag(target);
        let mut selection = vec!["--target".to_owned(), flag.to_owned(), "--work-dir".into(), work.plain()];
        if threads {
            selection.push("--threads".into());
        }
        let patches = patches_dir(context, self.patches.as_deref());
        let mut bootstrap = vec!["bootstrap".to_owned(), "--no-test".into(), "--patches".into(), patches.plain()];
        // Every object compiled again: a compiler cache would hand back the objects under test.
        bootstrap.extend(["--compiler-cache".to_owned(), "none".into()]);
        // The epoch is given again only where a flag gave it: from a release or a commit, the
        // rebuild derives the same one itself, and the provenance says where it came from.
        if definition.internal.epoch_from == EpochFrom::Flag {
            bootstrap.extend(["--source-date-epoch".to_owned(), external.source_date_epoch.to_string()]);
        }
        bootstrap.extend(external.configure_args.iter().map(|arg| format!("--configure-arg={arg}")));
        let dist = vec!["dist".to_owned(), "--out".into(), out.plain()];
        for command in [bootstrap, dist] {
            let step = command[0].clone();
            eprintln!("verify: rebuilding {stem}: {step} in {}", scratch.shown());
            let global = context.global_args.iter().cloned().chain(["--overlay".to_owned(), overlay.plain()]);
            let args = global.chain(command).chain(selection.iter().cloned()).chain(source_args.iter().cloned());
            let code = Cmd::new(&context.exe, &context.current_dir, &system_env()).args(args).run_interactive()?;
            if code != 0 {
                bail!(
                    "the rebuild of {stem} failed in its {step} (exit status {code}); its work dir is {}",
                    work.shown()
                );
            }
        }
        Ok(out.join(format!("{stem}.tar.xz")))
    }

    /// The patches the rebuild will apply must be those the provenance records.
    fn check_patches(
        &self,
        context: &Context,
        target: &Target,
        external: &External,
        recorded: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<()> {
        let dir = patches_dir(context, self.patches.as_deref());
        let series = crate::patches::load_series(&dir, &external.python, target.toolchain.series_name())?;
        let ours: Vec<(String, String)> =
            series.iter().map(|p| (format!("patches/{}/{}", external.python, p.name), p.sha256.clone())).collect();
        let recorded: Vec<(String, String)> = recorded.collect();
        if ours != recorded {
            let first = recorded.iter().zip(&ours).find(|(a, b)| a != b).map(|(a, _)| a.0.clone());
            bail!(
                "the patches in {} are not those the dist was built with ({}): check out the tool's commit the provenance names, or pass --patches DIR",
                dir.shown(),
                first.map_or_else(|| format!("{} recorded, {} here", recorded.len(), ours.len()), |name| format!("{} differs", printable(&name)))
            );
        }
        Ok(())
    }
}

/// The `--target` flag (and `--threads`) that builds `target`.
fn target_flag(target: &'static Target) -> (&'static str, bool) {
    match target::ALL.iter().find(|base| base.threads_variant == Some(target.name)) {
        Some(base) => (base.name, true),
        None => (target.name, false),
    }
}

/// An overlay manifest of the recorded pins: they replace the shipped manifest's entries of the
/// same name, so the rebuild fetches exactly what the dist was built from.
fn overlay_text(pins: &[&Pin]) -> anyhow::Result<String> {
    #[derive(serde::Serialize)]
    struct Overlay<'a> {
        schema: u32,
        artifact: &'a [&'a Pin],
    }
    let text = toml::to_string(&Overlay { schema: 1, artifact: pins })?;
    Ok(format!("# The pins of a dist's provenance, written by `cargo xtask verify --rebuild`.\n{text}"))
}

/// The rebuilt archive against the original (an archive: byte for byte; a directory: file by
/// file).
/// `whole`: the same tool built both, so the archives themselves must be equal; otherwise every
/// file of the package but the provenance (and SHA256SUMS, which lists it).
fn compare(original: &Path, rebuilt: &Path, whole: bool) -> anyhow::Result<()> {
    let archives = !std::fs::metadata(original)?.is_dir();
    if whole && archives && sha256_file(original)? == sha256_file(rebuilt)? {
        eprintln!("verify: rebuilt bit for bit: {}", rebuilt.shown());
        return Ok(());
    }
    let (mut a, mut b) = (verify::members(original)?, verify::members(rebuilt)?);
    if !whole {
        for name in [dist::PROVENANCE, dist::SUMS] {
            a.remove(name);
            b.remove(name);
        }
    }
    // Archives that differ as files are a difference even when their members read the same.
    let same = !(whole && archives) && a == b;
    if same {
        let how = if whole { "bit for bit" } else { "file for file, the provenance apart" };
        eprintln!("verify: rebuilt {how}: {}", rebuilt.shown());
        return Ok(());
    }
    let first = verify::first_difference(&a, &b).unwrap_or_else(|| "the same files, archived differently".into());
    let hint = match Path::new("/usr/bin/diffoscope").exists() {
        true => format!("diffoscope {} {}", original.shown(), rebuilt.shown()),
        false => "install Debian's diffoscope for a readable diff".into(),
    };
    bail!("the rebuild differs from {}: first at {first} (rebuilt: {}); {hint}", original.shown(), rebuilt.shown())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threads_variant_is_built_by_its_base_target_and_the_flag() {
        assert_eq!(target_flag(&target::EMSCRIPTEN_NODE_THREADS), ("emscripten-node", true));
        assert_eq!(target_flag(&target::WASI), ("wasi", false));
    }

    #[test]
    fn the_overlay_is_a_manifest() {
        let pin = Pin {
            component: "zlib".into(),
            name: "zlib".into(),
            version: "1.3.1".into(),
            url: "https://example.invalid/zlib-1.3.1.tar.gz".into(),
            sha256: "ab".repeat(32),
            size: Some(10),
            unpacked_size: None,
            strip: Some("zlib-1.3.1".into()),
            host: None,
            python: vec!["3.13".into()],
            format: "tar.gz".into(),
        };
        let text = overlay_text(&[&pin]).unwrap();
        let manifest = crate::manifest::Manifest::parse(&text, Path::new("pins.toml")).unwrap();
        assert_eq!(manifest.artifacts[0].sha256, pin.sha256);
        assert_eq!(Pin::of(&manifest.artifacts[0]), pin);
    }
}
