//! The bootstrap's toolchain step: the pinned (or user-given) compiler and runner of a target,
//! installed from the cache and checked, and the compiler the dependencies are built with.

use crate::build::{self, source::SourceTree, target, Layout};
use crate::context::{absolute, Context};
use crate::deps::Compiler;
use crate::fetch::Fetcher;
use crate::flags;
use crate::manifest::Artifact;
use crate::toolchains::{self, emscripten::Emscripten, node::Node, wasi_sdk::WasiSdk, wasmtime::Wasmtime, Tools};

pub fn open(
    context: &Context,
    selection: &flags::BuildSelection,
    target: &target::Target,
    source: &SourceTree,
    layout: &Layout,
    fetcher: &Fetcher,
) -> anyhow::Result<Tools> {
    let tools = match target.toolchain {
        target::Toolchain::WasiSdk => open_wasi(context, selection, source, fetcher)?,
        target::Toolchain::Emscripten => open_emscripten(context, selection, source, layout, fetcher)?,
    };
    eprintln!("toolchains: {}", tools.describe());
    Ok(tools)
}

fn open_wasi(
    context: &Context,
    selection: &flags::BuildSelection,
    source: &SourceTree,
    fetcher: &Fetcher,
) -> anyhow::Result<Tools> {
    let (manifest, host) = (&context.manifest, &context.host);
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
    let sdk_root = match &selection.wasi_sdk {
        Some(path) => absolute(path),
        None => toolchains::install(fetcher, &sdk_pin)?,
    };
    let sdk = WasiSdk::open(&sdk_root, &sdk_pin.version, &format!("CPython {line}"), &context.env)?;
    let wasmtime_pin = manifest.component("wasmtime", &line, host)?;
    let wasmtime_binary = match &selection.wasmtime {
        Some(path) => absolute(path),
        None => toolchains::install(fetcher, &wasmtime_pin)?.join("wasmtime"),
    };
    let wasmtime = Wasmtime::open(&wasmtime_binary, &context.env)?;
    warn_if_not_pinned("wasmtime", &wasmtime.version_string(), &wasmtime_pin, &wasmtime_binary);
    Ok(Tools::Wasi { sdk, wasmtime })
}

fn open_emscripten(
    context: &Context,
    selection: &flags::BuildSelection,
    source: &SourceTree,
    layout: &Layout,
    fetcher: &Fetcher,
) -> anyhow::Result<Tools> {
    let (manifest, host) = (&context.manifest, &context.host);
    let line = source.line.to_string();
    let node_pin = manifest.component("node", &line, host)?;
    let node_binary = match &selection.node {
        Some(path) => absolute(path),
        None => toolchains::install(fetcher, &node_pin)?.join("bin/node"),
    };
    let node = Node::open(&node_binary, &context.env)?;
    warn_if_not_pinned("node", &node.version, &node_pin, &node_binary);
    let pin = manifest.component("emscripten", &line, host)?;
    let root = match &selection.emscripten {
        Some(path) => absolute(path),
        None => toolchains::install(fetcher, &pin)?,
    };
    let config = layout.work.join("emscripten").join(".emscripten");
    let emscripten = Emscripten::open(&root, &pin.version, &format!("CPython {line}"), &config)?;
    emscripten.write_config(&node)?;
    Ok(Tools::Emscripten { emscripten, node })
}

fn warn_if_not_pinned(what: &str, found: &str, pin: &Artifact, binary: &std::path::Path) {
    if found != pin.version {
        eprintln!("warning: {what} {found} at {} is not the pinned {}", binary.display(), pin.version);
    }
}

/// How the dependencies are compiled for this target.
pub fn dep_compiler(tools: &Tools, target: &target::Target, layout: &Layout, source: &SourceTree) -> Compiler {
    let base = build::env::base(layout, source);
    let (cc, ar, env) = match tools {
        Tools::Wasi { sdk, .. } => (
            vec![sdk.bin("clang").display().to_string(), format!("--sysroot={}", sdk.sysroot().display())],
            sdk.bin("llvm-ar"),
            base,
        ),
        Tools::Emscripten { emscripten, node } => {
            (vec![emscripten.tool("emcc").display().to_string()], emscripten.tool("emar"), emscripten.env(node, &base))
        }
    };
    Compiler {
        cc,
        ar,
        cflags: target.dep_cflags.iter().map(|f| f.to_string()).collect(),
        triple: target.triple.to_owned(),
        identity: tools.identity(),
        env,
    }
}
