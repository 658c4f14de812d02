use std::time::Instant;

use crate::build::{self, source::SourceTree, target, Layout};
use crate::context::Context;
use crate::deps::{self, Built};
use crate::fetch::Fetcher;
use crate::flags;
use crate::run::smoke;
use crate::toolchains::Tools;

impl flags::Bootstrap {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let started = Instant::now();
        let prepared = prepare(context, &self.selection)?;
        let jobs = self.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let inputs = build::Inputs {
            target: prepared.target,
            source: &prepared.source,
            tools: &prepared.tools,
            deps: &prepared.deps,
            jobs,
        };
        let report = build::build(&prepared.layout, &inputs)?;
        if report.ran.is_empty() {
            eprintln!("build: nothing changed ({} steps up to date)", report.skipped.len());
        }
        if !self.no_test {
            let record = build::env::read_run_record(&prepared.layout)?;
            smoke::run(&record, &prepared.layout, &context.env)?;
        }
        eprintln!(
            "bootstrap: {} for CPython {} ready in {:.1}s: {}",
            prepared.target.name,
            prepared.source.line,
            started.elapsed().as_secs_f64(),
            prepared.layout.host.join("python.sh").display()
        );
        Ok(())
    }
}

pub struct Prepared {
    pub target: &'static target::Target,
    pub layout: Layout,
    pub source: SourceTree,
    pub tools: Tools,
    pub deps: Vec<Built>,
}

/// fetch → toolchains → sources → patches → deps, for the selected target and CPython line.
pub fn prepare(context: &Context, selection: &flags::BuildSelection) -> anyhow::Result<Prepared> {
    let target = target::target(selection.source.target);
    if target.runner == target::Runner::Browser {
        anyhow::bail!(
            "target `{}` is not yet supported by bootstrap (the browser runner and server are not written yet); use --target emscripten-node or --target wasi",
            target.name
        );
    }
    let layout = Layout::new(&work_dir(context, &selection.source), target);
    let fetcher = context.fetcher()?;
    let source = resolve_source(context, &selection.source, &fetcher, &layout)?;
    super::patch::apply_series(context, &source, target, &layout)?;
    let tools = super::tools::open(context, selection, target, &source, &layout, &fetcher)?;
    let compiler = super::tools::dep_compiler(&tools, target, &layout, &source);
    let deps = target
        .deps
        .iter()
        .map(|recipe| deps::build(recipe, &fetcher, &context.manifest, &context.host, &compiler, &layout.logs))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Prepared { target, layout, source, tools, deps })
}

/// The release tarball of the chosen line, extracted into the work dir, or the checkout.
pub fn resolve_source(
    context: &Context,
    selection: &flags::SourceSelection,
    fetcher: &Fetcher,
    layout: &Layout,
) -> anyhow::Result<SourceTree> {
    let manifest = &context.manifest;
    match &selection.python_source {
        Some(dir) => build::source::checkout(&crate::context::absolute(dir), &context.env),
        None => {
            let line = match &selection.python {
                Some(line) => build::source::PythonLine::parse(line)?,
                None => build::source::newest_line(manifest, &context.host)?,
            };
            build::source::release(fetcher, manifest, &context.host, line, &layout.work)
        }
    }
}

pub fn work_dir(context: &Context, selection: &flags::SourceSelection) -> std::path::PathBuf {
    match &selection.work_dir {
        Some(dir) => crate::context::absolute(dir),
        None => context.workspace.join("target/bootstrap"),
    }
}
