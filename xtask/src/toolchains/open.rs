//! Choosing and opening a target's toolchain: the pins for a CPython line, or the user's own
//! tools, each checked against its pin.

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use super::emscripten::Emscripten;
use super::node::Node;
use super::wasi_sdk::WasiSdk;
use super::wasmtime::Wasmtime;
use super::{install, major, Toolchain};
use crate::fetch::Fetcher;
use crate::manifest::{Artifact, Manifest};
use crate::source::SourceTree;
use crate::target::ToolchainKind;
use crate::workdir::WorkDir;

/// The pinned compiler and runner of a target for one source.
pub struct Pins {
    pub compiler: Artifact,
    pub runner: Artifact,
}

/// Tools the user gave instead of the pinned ones (absolute paths).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub wasi_sdk: Option<PathBuf>,
    pub wasmtime: Option<PathBuf>,
    pub emscripten: Option<PathBuf>,
    pub node: Option<PathBuf>,
}

/// The manifest's pins for this kind of toolchain and this source. A checkout's own WASI SDK pin
/// (Platforms/WASI/config.toml) picks the SDK of that major version.
pub fn pins(manifest: &Manifest, host: &str, kind: ToolchainKind, source: &SourceTree) -> anyhow::Result<Pins> {
    let line = source.line.to_string();
    Ok(match kind {
        ToolchainKind::WasiSdk => {
            let compiler = match &source.checkout_wasi_sdk {
                Some(wanted) => manifest
                    .for_host(host)
                    .filter(|a| a.component == "wasi-sdk" && major(&a.version) == wanted)
                    .last()
                    .cloned()
                    .ok_or_else(|| anyhow!("the checkout pins WASI SDK {wanted}, but the manifest has no wasi-sdk {wanted}; add one with --overlay FILE"))?,
                None => manifest.component("wasi-sdk", &line, host)?,
            };
            Pins { compiler, runner: manifest.component("wasmtime", &line, host)? }
        }
        ToolchainKind::Emscripten => Pins {
            compiler: manifest.component("emscripten", &line, host)?,
            runner: manifest.component("node", &line, host)?,
        },
    })
}

/// Installs what is pinned and not overridden, opens both tools and checks them.
pub fn open(
    kind: ToolchainKind,
    pins: &Pins,
    overrides: &Overrides,
    fetcher: &Fetcher,
    work: &WorkDir,
    line: &str,
) -> anyhow::Result<Toolchain> {
    let why = format!("CPython {line}");
    let probe_env = work.tool_env();
    let toolchain = match kind {
        ToolchainKind::WasiSdk => {
            let root = locate(overrides.wasi_sdk.as_deref(), &pins.compiler, fetcher, "")?;
            let sdk = WasiSdk::open(&root, &pins.compiler.version, &why, &probe_env)?;
            let binary = locate(overrides.wasmtime.as_deref(), &pins.runner, fetcher, "wasmtime")?;
            let wasmtime = Wasmtime::open(&binary, &probe_env)?;
            warn_if_not_pinned("wasmtime", &wasmtime.version_string(), &pins.runner, &binary);
            Toolchain::Wasi { sdk, wasmtime }
        }
        ToolchainKind::Emscripten => {
            let binary = locate(overrides.node.as_deref(), &pins.runner, fetcher, "bin/node")?;
            let node = Node::open(&binary, &probe_env)?;
            warn_if_not_pinned("node", &node.version, &pins.runner, &binary);
            let root = locate(overrides.emscripten.as_deref(), &pins.compiler, fetcher, "")?;
            let emscripten = Emscripten::open(&root, &pins.compiler.version, &why, &work.emscripten_config())?;
            emscripten.write_config(&node)?;
            Toolchain::Emscripten { emscripten, node }
        }
    };
    eprintln!("toolchains: {}", toolchain.summary());
    Ok(toolchain)
}

/// The user's tool if given, else `inner` inside the pinned release, installed once.
fn locate(given: Option<&Path>, pin: &Artifact, fetcher: &Fetcher, inner: &str) -> anyhow::Result<PathBuf> {
    match given {
        Some(path) => Ok(path.to_owned()),
        None if inner.is_empty() => install(fetcher, pin),
        None => Ok(install(fetcher, pin)?.join(inner)),
    }
}

fn warn_if_not_pinned(what: &str, found: &str, pin: &Artifact, binary: &Path) {
    if found != pin.version {
        eprintln!("warning: {what} {found} at {} is not the pinned {}", binary.display(), pin.version);
    }
}
