use std::time::Instant;

use crate::context::Context;
use crate::cpython::{self, BuildPlan};
use crate::deps::{self, LibraryBuild};
use crate::events::{self, Stage};
use crate::exit::{Failure, TagResult};
use crate::flags;
use crate::patches;
use crate::patches::Patch;
use crate::selection::patches_dir;
use crate::source::SourceTree;
use crate::target::Target;
use crate::text::PathText;
use crate::upkeep::doctor::{self, Places};
use crate::workdir::{BuildInputs, EpochFrom, PatchPin, PathMap, Pin, SourceInput, WorkDir, NATIVE_SERIES};
use crate::{run, source, toolchains};

impl flags::Bootstrap {
    /// source → patches → toolchains → deps → CPython build → smoke test, for each target asked
    /// for (`--target all`: every one, in one work dir; the build Python, the toolchains and the
    /// dependency builds are shared through their stamps and the cache).
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let targets = self.selection.source.targets()?;
        if self.dry_run {
            return self.dry_run(context, &targets);
        }
        let held = self.selection.source.work_dir_for(context, targets[0]);
        // What would stop the build half way is found before anything is downloaded.
        let cache = &context.fetch.cache.root;
        let state = context.compiler_cache.as_ref().map(|cache| crate::compiler_cache::state(cache, false));
        let compiler_cache = context.compiler_cache.as_ref().zip(state.as_ref());
        let places = Places { work: &held.root, cache, path: crate::process::SYSTEM_PATH, compiler_cache };
        let problems = events::step(Stage::Check, "check the machine", None, || {
            let problems: Vec<_> = doctor::host(&targets, &places).into_iter().filter(|p| p.blocking).collect();
            problems.iter().for_each(super::doctor::report);
            super::doctor::blocking(&problems)
        });
        problems?;
        let _held = held.lock()?;
        // prune leaves the cache alone while this is held.
        let names: Vec<&str> = targets.iter().map(|t| t.name).collect();
        let _in_use = crate::upkeep::prune::hold_cache(cache, &format!("the {} build", names.join(", ")))?;
        let started = Instant::now();
        for target in &targets {
            self.build(context, target)?;
        }
        if targets.len() > 1 {
            let names: Vec<&str> = targets.iter().map(|t| t.name).collect();
            eprintln!("bootstrap: {} ready in {:.1}s", names.join(", "), started.elapsed().as_secs_f64());
        }
        Ok(())
    }

    /// The unpatched tree of the build Python and the tree of the target's patch series, both in
    /// the work dir (what an earlier version patched in place is reverted first).
    fn trees(
        &self,
        context: &Context,
        target: &Target,
        source: &SourceTree,
        work: &WorkDir,
    ) -> anyhow::Result<(SourceTree, SourceTree, Vec<Patch>)> {
        for line in patches::undo_in_place(source, &work.in_place_patch_stamp())? {
            eprintln!("patch: {line}");
        }
        let series_name = target.toolchain.series_name();
        let patches = patches_dir(context, self.patches.as_deref());
        let series = patches::load_series(&patches, &source.line.to_string(), series_name)?;
        let (native, report) = patches::prepare(source, &work.series_tree(NATIVE_SERIES), &[])?;
        let (tree, more) = patches::prepare(source, &work.series_tree(series_name), &series)?;
        for line in report.iter().chain(&more) {
            eprintln!("patch: {line}");
        }
        Ok((native, tree, series))
    }

    fn build(&self, context: &Context, target: &'static Target) -> anyhow::Result<()> {
        let started = Instant::now();
        events::for_target(target.name);
        let selection = &self.selection.source;
        let work = selection.work_dir_for(context, target);
        let fetcher = context.fetcher()?;
        let (manifest, machine) = (&context.manifest, context.machine.as_str());
        let tool_env = work.tool_env();

        let choice = selection.source_choice(context)?;
        let mut source =
            source::resolve(&choice, &fetcher, manifest, machine, &work, &tool_env).tagged(Failure::Input)?;
        let epoch_from = match (self.source_date_epoch, source.is_checkout()) {
            (Some(epoch), _) => {
                source.source_date_epoch = epoch;
                EpochFrom::Flag
            }
            (None, true) => EpochFrom::Commit,
            (None, false) => EpochFrom::Release,
        };
        let pinned_now;
        let manifest = match self.pin_missing {
            true => {
                pinned_now = self.pin_missing(context, &source)?;
                &pinned_now
            }
            false => manifest,
        };
        let line = source.line.to_string();
        let profile = crate::line::profile(source.line)?;

        let (native, tree, series) =
            events::step(Stage::Patch, "prepare the trees", None, || self.trees(context, target, &source, &work))
                .tagged(Failure::Input)?;

        let overrides = self.selection.overrides(context);
        let pins = toolchains::pins(manifest, machine, target.toolchain, &source, &overrides).tagged(Failure::Input)?;
        let toolchain = toolchains::open(target.toolchain, &pins, &overrides, &fetcher, &work, &line)?;

        let compiler = toolchain.compiler(&tool_env);
        let jobs = self.jobs.unwrap_or(context.cores);
        let how = LibraryBuild {
            compiler: &compiler,
            cflags: target.dep_cflags,
            triple: target.triple,
            configure_host: target.dep_host,
            logs: &work.logs,
            jobs,
        };
        let libraries = deps::build_all(target.libraries, &fetcher, manifest, machine, &source.pins.libraries, &how)?;
        let cache = &fetcher.cache().root;
        // The build sees the toolchain and the libraries through the work dir (toolchains::view).
        let view = work.view();
        let (toolchains_view, deps_view) =
            (toolchains::view::toolchains_view(&view), toolchains::view::deps_view(&view));
        let paths = PathMap::new(&work.root, cache, &deps::root(cache), toolchain.compiler_root())
            .with_view(&toolchains_view, &deps_view);
        let compiler_cache = context.compiler_cache.as_ref();
        let toolchain = toolchain.viewed(&view, compiler_cache)?;
        let libraries = toolchains::view::libraries(&view, &deps::root(cache), &libraries)?;

        let plan = BuildPlan {
            target,
            source: &tree,
            native: &native,
            profile,
            toolchain: &toolchain,
            libraries: &libraries,
            jobs,
            configure_args: &self.configure_arg,
            paths: &paths,
            cache: compiler_cache,
            seeds: cache.join("configure"),
        };
        let report = cpython::build(&work, &plan)?;
        if report.ran.is_empty() {
            eprintln!("build: nothing changed ({} steps up to date)", report.skipped.len());
        }
        work.write_inputs(&BuildInputs {
            target,
            version: source.version.clone(),
            source: match source.is_checkout() {
                true => SourceInput::Checkout { commit: source.revision.clone() },
                false => SourceInput::Release(Box::new(Pin::of(&source_artifact(context, &source)?))),
            },
            source_date_epoch: source.source_date_epoch,
            epoch_from,
            machine: machine.into(),
            toolchain: [&pins.compiler, &pins.runner].into_iter().flatten().map(Pin::of).collect(),
            unpinned: overrides.given(),
            libraries: libraries.iter().map(|library| Pin::of(&library.artifact)).collect(),
            patches: series.iter().map(|p| PatchPin { name: p.name.clone(), sha256: p.sha256.clone() }).collect(),
            configure_args: self.configure_arg.clone(),
            paths,
        })?;

        if !self.no_test {
            let record = work.read_run_record()?;
            events::step(Stage::Test, "smoke test", None, || {
                run::smoke::run(&record, &work, &context.runner_env, context.verbose).tagged(Failure::Test)
            })?;
        }
        eprintln!(
            "bootstrap: {} for CPython {line} ready in {:.1}s: {}",
            target.name,
            started.elapsed().as_secs_f64(),
            work.target_build.join("python.sh").shown()
        );
        Ok(())
    }
}

impl flags::Bootstrap {
    /// `--dry-run`: the artifacts the build would use, with sizes and whether the cache has them.
    fn dry_run(&self, context: &Context, targets: &[&'static Target]) -> anyhow::Result<()> {
        let choice = self.selection.source.source_choice(context)?;
        let fetcher = context.fetcher()?;
        let overrides = self.selection.overrides(context);
        let needs = crate::plan::needs(&choice, targets, &context.manifest, &context.machine, &fetcher, &overrides)?;
        let mut total = 0;
        for need in &needs {
            let artifact = &need.artifact;
            let cached = fetcher.cache().lookup(artifact, false)?.is_some();
            total += artifact.size.unwrap_or(0);
            match context.message_format {
                flags::MessageFormat::Json => println!(
                    "{}",
                    serde_json::json!({
                        "event": "need", "role": need.role, "name": artifact.name, "component": artifact.component,
                        "version": artifact.version, "host": artifact.host, "url": artifact.url,
                        "sha256": artifact.sha256, "size": artifact.size, "cached": cached, "targets": need.targets,
                    })
                ),
                flags::MessageFormat::Human => println!(
                    "{:<8} {} {} {} {} [{}]",
                    need.role,
                    artifact.name,
                    artifact.version,
                    artifact.size.map_or("size unknown".into(), |s| format!("{:.1} MB", s as f64 / 1e6)),
                    if cached { "cached" } else { "to fetch" },
                    need.targets.join(", ")
                ),
            }
        }
        eprintln!(
            "bootstrap --dry-run: {} artifacts, {:.1} MB where sizes are pinned; nothing built",
            needs.len(),
            total as f64 / 1e6
        );
        Ok(())
    }

    /// `--pin-missing`: what the source pins and the manifest lacks for this host, pinned from the
    /// publishers' records into the manifest (or the last overlay); returns the manifest with them.
    fn pin_missing(&self, context: &Context, source: &SourceTree) -> anyhow::Result<crate::manifest::Manifest> {
        super::pin::refuse_offline(context, "--pin-missing")?;
        let bases = crate::pin::Bases::new(&self.record_bases)?;
        let client = crate::fetch::build_client(&context.fetch.network)?;
        let fetcher = context.fetcher()?;
        let how = crate::pin::Publishers {
            bases: &bases,
            client: &client,
            fetcher: &fetcher,
            trust_download: false,
            read: Default::default(),
        };
        let hosts = [context.machine.clone()];
        let node = |major: &str| crate::pin::newest_node(&how, major);
        let requests = crate::pin::missing_from_tree(&source.pins, source.line, &context.manifest, &hosts, &node)?;
        let file = context.overlays.last().unwrap_or(&context.manifest_file);
        let made = crate::pin::pin_all(&requests, &context.manifest, &how, file)?;
        for artifact in &made {
            super::pin::print_pinned(context, artifact, file);
        }
        let mut manifest = context.manifest.clone();
        let _ = manifest.apply_overlay(crate::manifest::Manifest { artifacts: made });
        Ok(manifest)
    }
}

/// The manifest entry of the release a source was extracted from (its sha256 is the identity).
fn source_artifact(context: &Context, source: &SourceTree) -> anyhow::Result<crate::manifest::Artifact> {
    let machine = context.machine.as_str();
    let found = context.manifest.last_matching(machine, "cpython", |a| a.sha256 == source.identity);
    found.cloned().ok_or_else(|| {
        anyhow::anyhow!("the manifest no longer pins the CPython release with sha256 {}", source.identity)
    })
}
