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
use crate::source::{SourceTree, TreePins};
use crate::target::ToolchainKind;
use crate::text::PathText;
use crate::workdir::WorkDir;

/// The pinned compiler and runner of a target for one source; `None` where the user gave the
/// tool and the manifest pins none for this host.
pub struct Pins {
    pub compiler: Option<Artifact>,
    pub runner: Option<Artifact>,
    /// What the source itself pins for the compiler (emscripten version, WASI SDK major).
    pub tree_compiler: Option<String>,
}

/// Tools the user gave instead of the pinned ones (absolute paths).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub wasi_sdk: Option<PathBuf>,
    pub wasmtime: Option<PathBuf>,
    pub emscripten: Option<PathBuf>,
    pub node: Option<PathBuf>,
}

impl Overrides {
    /// Each tool given, as `name at PATH` (for the build's input record).
    pub fn given(&self) -> Vec<String> {
        let all = [
            ("wasi-sdk", &self.wasi_sdk),
            ("wasmtime", &self.wasmtime),
            ("emscripten", &self.emscripten),
            ("node", &self.node),
        ];
        all.iter().filter_map(|(name, path)| path.as_ref().map(|p| format!("{name} at {}", p.shown()))).collect()
    }
}

/// A toolchain pin a CPython tree carries (Platforms/*/config.toml), and how it chooses a
/// manifest entry: emscripten by exact version, the WASI SDK and Node by major.
pub struct TreePin<'a> {
    pub component: &'static str,
    pub wanted: &'a str,
    by_major: bool,
}

impl TreePin<'_> {
    /// The last manifest entry for `machine` this pin chooses.
    pub fn entry<'m>(&self, manifest: &'m Manifest, machine: &'m str) -> Option<&'m Artifact> {
        manifest.last_matching(machine, self.component, |a| match self.by_major {
            true => major(&a.version) == self.wanted,
            false => a.version == self.wanted,
        })
    }
}

/// The toolchain pins a tree carries, in the order `pin --from-tree` takes them.
pub fn tree_pins(tree: &TreePins) -> Vec<TreePin<'_>> {
    [("emscripten", &tree.emscripten, false), ("node", &tree.node_major, true), ("wasi-sdk", &tree.wasi_sdk, true)]
        .into_iter()
        .filter_map(|(component, wanted, by_major)| Some(TreePin { component, wanted: wanted.as_deref()?, by_major }))
        .collect()
}

/// The manifest's pins for this kind of toolchain and this source. What the tree pins itself
/// ([`tree_pins`]) picks the manifest entry; a pin the manifest lacks is an error naming the
/// `pin` command that adds it, unless the user gave that tool (`--wasmtime PATH`…), which then
/// needs no pin.
pub fn pins(
    manifest: &Manifest,
    machine: &str,
    kind: ToolchainKind,
    source: &SourceTree,
    overrides: &Overrides,
) -> anyhow::Result<Pins> {
    let line = source.line.to_string();
    let tree = &source.pins;
    let from_tree = tree_pins(tree);
    let pick = |component: &str| match from_tree.iter().find(|p| p.component == component) {
        Some(pin) => {
            let wanted = pin.wanted;
            eprintln!("toolchains: the CPython source pins {component} {wanted} (Platforms/*/config.toml)");
            pin.entry(manifest, machine).cloned().ok_or_else(|| {
                anyhow!(
                    "the CPython source pins {component} {wanted} (Platforms/*/config.toml), but the manifest has no {component} {wanted} for {machine}; pin it from its publisher's record with `cargo xtask pin --from-tree {}`, or run bootstrap again with --pin-missing, or give your own with --{component} PATH",
                    source.origin.shown()
                )
            })
        }
        None => manifest.component(component, &line, machine),
    };
    // A tool the user gave needs no pin; one the manifest has is still recorded and checked.
    let optional = |given: &Option<PathBuf>, found: anyhow::Result<Artifact>| match given {
        Some(_) => Ok(found.ok()),
        None => found.map(Some),
    };
    Ok(match kind {
        ToolchainKind::WasiSdk => Pins {
            compiler: optional(&overrides.wasi_sdk, pick("wasi-sdk"))?,
            runner: optional(&overrides.wasmtime, pick("wasmtime"))?,
            tree_compiler: tree.wasi_sdk.clone(),
        },
        ToolchainKind::Emscripten => Pins {
            compiler: optional(&overrides.emscripten, pick("emscripten"))?,
            runner: optional(&overrides.node, pick("node"))?,
            tree_compiler: tree.emscripten.clone(),
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
    // The version the compiler must have: the pin's, else what the tree names; none when neither.
    let expected = pins.compiler.as_ref().map(|a| a.version.clone()).or_else(|| pins.tree_compiler.clone());
    let probe_env = work.tool_env();
    let toolchain = match kind {
        ToolchainKind::WasiSdk => {
            let root = locate(overrides.wasi_sdk.as_deref(), pins.compiler.as_ref(), fetcher, "")?;
            let sdk = WasiSdk::open(&root, expected.as_deref(), &why, &probe_env)?;
            let binary = locate(overrides.wasmtime.as_deref(), pins.runner.as_ref(), fetcher, "wasmtime")?;
            let wasmtime = Wasmtime::open(&binary, &probe_env)?;
            warn_if_not_pinned("wasmtime", &wasmtime.version_string(), pins.runner.as_ref(), &binary);
            Toolchain::Wasi { sdk, wasmtime }
        }
        ToolchainKind::Emscripten => {
            let binary = locate(overrides.node.as_deref(), pins.runner.as_ref(), fetcher, "bin/node")?;
            let node = Node::open(&binary, &probe_env)?;
            warn_if_not_pinned("node", &node.version, pins.runner.as_ref(), &binary);
            let root = locate(overrides.emscripten.as_deref(), pins.compiler.as_ref(), fetcher, "")?;
            let emscripten = Emscripten::open(&root, expected.as_deref(), &why, &work.emscripten_config())?;
            emscripten.write_config(&node)?;
            Toolchain::Emscripten { emscripten, node }
        }
    };
    eprintln!("toolchains: {}", toolchain.summary());
    Ok(toolchain)
}

/// The user's tool if given, else `inner` inside the pinned release, installed once.
fn locate(given: Option<&Path>, pin: Option<&Artifact>, fetcher: &Fetcher, inner: &str) -> anyhow::Result<PathBuf> {
    let pin = || pin.ok_or_else(|| anyhow!("no pin and no tool given"));
    match given {
        Some(path) => Ok(path.to_owned()),
        None if inner.is_empty() => install(fetcher, pin()?),
        None => Ok(install(fetcher, pin()?)?.join(inner)),
    }
}

fn warn_if_not_pinned(what: &str, found: &str, pin: Option<&Artifact>, binary: &Path) {
    match pin {
        Some(pin) if found != pin.version => {
            eprintln!("warning: {what} {found} at {} is not the pinned {}", binary.shown(), pin.version)
        }
        Some(_) => {}
        None => eprintln!(
            "warning: {what} {found} at {} is not pinned for this host: the build records it by path only",
            binary.shown()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{PythonLine, TreePins};

    fn entry(name: &str, component: &str, version: &str, python: &str) -> String {
        format!(
            "[[artifact]]\nname = \"{name}\"\ncomponent = \"{component}\"\nversion = \"{version}\"\nurl = \"https://example.org/{name}.tar.gz\"\nsha256 = \"{}\"\npython = [\"{python}\"]\n\n",
            "a".repeat(64)
        )
    }

    fn source(minor: u32, pins: TreePins) -> SourceTree {
        SourceTree {
            root: "/src".into(),
            origin: "/src".into(),
            line: PythonLine { major: 3, minor },
            identity: "checkout".into(),
            source_date_epoch: 0,
            pins,
            version: "3.13.0".into(),
            revision: None,
        }
    }

    #[test]
    fn the_trees_own_pins_choose_and_a_missing_one_says_what_to_add() {
        let text = [
            "schema = 1\n\n".to_owned(),
            entry("emscripten-4.0.12", "emscripten", "4.0.12", "3.14"),
            entry("emscripten-4.0.19", "emscripten", "4.0.19", "3.15"),
            entry("node-20", "node", "20.11.1", "3.13"),
            entry("node-24", "node", "24.19.0", "3.15"),
        ]
        .concat();
        let manifest = Manifest::parse(&text, Path::new("m.toml")).unwrap();
        let em = ToolchainKind::Emscripten;
        // A 3.14 tree pinning 4.0.19 and Node 20 gets those, not the line's defaults.
        let pins = TreePins { emscripten: Some("4.0.19".into()), node_major: Some("20".into()), ..Default::default() };
        let chosen = super::pins(&manifest, "x86_64-linux", em, &source(14, pins), &Overrides::default()).unwrap();
        let (compiler, runner) = (chosen.compiler.unwrap(), chosen.runner.unwrap());
        assert_eq!((compiler.version.as_str(), runner.version.as_str()), ("4.0.19", "20.11.1"));
        // Without tree pins, the line decides.
        let chosen =
            super::pins(&manifest, "x86_64-linux", em, &source(14, TreePins::default()), &Overrides::default());
        assert!(chosen.is_err(), "no node serves 3.14 in this manifest");
        let pins = TreePins { emscripten: Some("6.0.6".into()), ..Default::default() };
        let err = super::pins(&manifest, "x86_64-linux", em, &source(15, pins.clone()), &Overrides::default())
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("pins emscripten 6.0.6") && err.contains("`cargo xtask pin --from-tree /src`"), "{err}");
        // The user's own emscripten and node need no pin on a host the manifest does not cover.
        let given = Overrides { emscripten: Some("/em".into()), node: Some("/node".into()), ..Default::default() };
        let chosen = super::pins(&manifest, "aarch64-macos", em, &source(15, pins), &given).unwrap();
        assert!(
            chosen.compiler.is_none() && chosen.runner.is_some(),
            "no 6.0.6 pinned; node-24 serves every host here"
        );
        assert_eq!(chosen.tree_compiler.as_deref(), Some("6.0.6"));
    }

    /// What each line's tree pins for itself (3.14 on: Platforms/*/config.toml of v3.14.7, the
    /// 3.15 branch and main as of 2026-11-22), against the manifest this repository ships: every
    /// line finds its release, toolchains and library sources on x86_64 Linux.
    #[test]
    fn the_shipped_manifest_has_every_pin_each_line_needs() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk-manifest.toml");
        let manifest = Manifest::load(&path).unwrap();
        let machine = "x86_64-linux";
        let tree = |wasi: Option<&str>, em: Option<&str>| TreePins {
            wasi_sdk: wasi.map(str::to_owned),
            emscripten: em.map(str::to_owned),
            node_major: em.map(|_| "24".to_owned()),
            ..Default::default()
        };
        let lines = [
            (11, tree(None, None), false),
            (12, tree(None, None), false),
            (13, tree(None, None), true),
            (14, tree(None, Some("4.0.12")), true),
            (15, tree(Some("33"), Some("4.0.19")), true),
            (16, tree(Some("33"), Some("6.0.6")), true),
            (16, tree(Some("34"), Some("6.0.6")), true),
        ];
        for (minor, pins, emscripten) in lines {
            let source = source(minor, pins.clone());
            let none = Overrides::default();
            let wasi = super::pins(&manifest, machine, ToolchainKind::WasiSdk, &source, &none).unwrap();
            if let Some(sdk) = &pins.wasi_sdk {
                assert_eq!(major(&wasi.compiler.unwrap().version), sdk, "3.{minor}");
            }
            if emscripten {
                let em = super::pins(&manifest, machine, ToolchainKind::Emscripten, &source, &none).unwrap();
                if let Some(version) = &pins.emscripten {
                    assert_eq!(&em.compiler.unwrap().version, version, "3.{minor}");
                    assert_eq!(major(&em.runner.unwrap().version), "24", "3.{minor}");
                }
            }
            if minor <= 15 {
                manifest.component("cpython", &format!("3.{minor}"), machine).unwrap();
            }
        }
        // The other hosts: main's emscripten 6.0.8 and Node 24 everywhere; the WASI SDK 34 and
        // wasmtime on macOS; on aarch64 Linux wasmtime is unpinned, and says how to pin it.
        let none = Overrides::default();
        for host in ["aarch64-linux", "x86_64-macos", "aarch64-macos"] {
            let em = super::pins(
                &manifest,
                host,
                ToolchainKind::Emscripten,
                &source(16, tree(Some("34"), Some("6.0.8"))),
                &none,
            )
            .unwrap();
            assert_eq!(em.compiler.unwrap().version, "6.0.8", "{host}");
            let wasi = super::pins(&manifest, host, ToolchainKind::WasiSdk, &source(16, tree(Some("34"), None)), &none);
            match host {
                "aarch64-linux" => {
                    let err = wasi.err().unwrap().to_string();
                    assert!(
                        err.contains("`cargo xtask pin wasmtime VERSION --host aarch64-linux --python 3.16`"),
                        "{err}"
                    );
                }
                _ => assert_eq!(wasi.unwrap().compiler.unwrap().version, "34.0", "{host}"),
            }
        }
        // The libffi and mpdecimal sources 3.14, 3.15 and main pin, by sha256.
        for (component, sha256) in [
            ("libffi", "b0dea9df23c863a7a50e825440f3ebffabd65df1497108e5d437747843895a4e"),
            ("mpdecimal", "96d33abb4bb0070c7be0fed4246cd38416188325f820468214471938545b1ac8"),
        ] {
            assert!(manifest.last_matching(machine, component, |a| a.sha256 == sha256).is_some(), "{component}");
        }
    }
}
