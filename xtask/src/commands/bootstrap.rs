use std::time::Instant;

use crate::build::{self, source::SourceTree, target, Layout};
use crate::context::Context;
use crate::deps::{self, Built, Compiler};
use crate::fetch::Fetcher;
use crate::flags;
use crate::run::smoke;
use crate::toolchains::{self, wasi_sdk::WasiSdk, wasmtime::Wasmtime};

impl flags::Bootstrap {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let started = Instant::now();
        let prepared = prepare(context, &self.selection)?;
        let jobs = self.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let inputs = build::Inputs {
            target: prepared.target,
            source: &prepared.source,
            sdk: &prepared.sdk,
            wasmtime: &prepared.wasmtime,
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
    pub sdk: WasiSdk,
    pub wasmtime: Wasmtime,
    pub deps: Vec<Built>,
}

/// fetch → toolchains → sources → deps, for the selected target and CPython line.
pub fn prepare(context: &Context, selection: &flags::BuildSelection) -> anyhow::Result<Prepared> {
    let target = target::target(selection.source.target);
    if target.toolchain != target::Toolchain::WasiSdk {
        anyhow::bail!(
            "target `{}` is not yet supported by bootstrap (the emscripten toolchain is not pinned yet); use --target wasi",
            target.name
        );
    }
    let layout = Layout::new(&work_dir(context, &selection.source), target);
    let fetcher = context.fetcher()?;
    let manifest = &context.manifest;
    let host = &context.host;
    let source = resolve_source(context, &selection.source, &fetcher, &layout)?;
    super::patch::apply_series(context, &source, target, &layout)?;
    let line = source.line.to_string();
    let sdk_pin = match &source.checkout_wasi_sdk {
        Some(major) => manifest
            .for_host(host)
            .filter(|a| a.component == "wasi-sdk" && toolchains::major(&a.version) == major)
            .last()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the checkout pins WASI SDK {major}, but the manifest has no wasi-sdk {major}; add one with --overlay FILE"))?,
        None => manifest.component("wasi-sdk", &line, host)?,
    };
    let why = format!("CPython {line}");
    let sdk_root = match &selection.wasi_sdk {
        Some(path) => crate::context::absolute(path),
        None => toolchains::install(&fetcher, &sdk_pin)?,
    };
    let sdk = WasiSdk::open(&sdk_root, &sdk_pin.version, &why, &context.env)?;
    let wasmtime_pin = manifest.component("wasmtime", &line, host)?;
    let wasmtime_binary = match &selection.wasmtime {
        Some(path) => crate::context::absolute(path),
        None => toolchains::install(&fetcher, &wasmtime_pin)?.join("wasmtime"),
    };
    let wasmtime = Wasmtime::open(&wasmtime_binary, &context.env)?;
    if wasmtime.version_string() != wasmtime_pin.version {
        eprintln!(
            "warning: wasmtime {} at {} is not the pinned {}; the runner follows {}'s CLI",
            wasmtime.version_string(),
            wasmtime_binary.display(),
            wasmtime_pin.version,
            wasmtime.version_string()
        );
    }
    eprintln!("toolchains: {} ({}), wasmtime {}", sdk.identity(), sdk.root.display(), wasmtime.version_string());
    let compiler = Compiler {
        cc: vec![sdk.bin("clang").display().to_string(), format!("--sysroot={}", sdk.sysroot().display())],
        ar: sdk.bin("llvm-ar"),
        cflags: target.dep_cflags.iter().map(|f| f.to_string()).collect(),
        triple: target.triple.to_owned(),
        identity: sdk.identity(),
        env: build::env::base(&layout, &source),
    };
    let deps = target
        .deps
        .iter()
        .map(|recipe| deps::build(recipe, &fetcher, manifest, host, &compiler, &layout.logs))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Prepared { target, layout, source, sdk, wasmtime, deps })
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
