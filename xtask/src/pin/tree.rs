//! `--from-tree`: what a CPython tree's own pins name and the manifest lacks, as requests.

use anyhow::anyhow;
use clap::ValueEnum;

use super::publishers::Component;
use super::{Publishers, Request};
use crate::manifest::Manifest;
use crate::source::{PythonLine, TreePins};

/// What a tree's `Platforms/*/config.toml` names that the manifest lacks on these hosts, as
/// requests (emscripten by version, Node and the WASI SDK by major: the newest release of that
/// major in Node's index, `MAJOR.0` for the WASI SDK).
pub fn missing_from_tree(
    pins: &TreePins,
    line: PythonLine,
    manifest: &Manifest,
    hosts: &[String],
    node_version: &dyn Fn(&str) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<Request>> {
    let line = line.to_string();
    let mut requests = Vec::new();
    // The same rule that chooses the entry for a build says whether one is there.
    for pin in crate::toolchains::tree_pins(pins) {
        let lacking: Vec<String> = hosts.iter().filter(|h| pin.entry(manifest, h).is_none()).cloned().collect();
        if lacking.is_empty() {
            continue;
        }
        let component = Component::value_variants()
            .iter()
            .copied()
            .find(|c| c.name() == pin.component)
            .expect("every toolchain a tree pins is a component pin knows");
        let version = match component {
            Component::Node => node_version(pin.wanted)?,
            _ => pin.wanted.to_owned(),
        };
        requests.push(Request { component, version, hosts: lacking, python: vec![line.clone()], emsdk_ref: None });
    }
    Ok(requests)
}

/// The newest release of a Node major in Node's own index (`index.json`).
pub fn newest_node(how: &Publishers, node_major: &str) -> anyhow::Result<String> {
    let url = format!("{}/index.json", how.bases.get("nodejs"));
    let text = how.record(&url, "Node's release index")?;
    let index: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| anyhow!("Node's index {url}: {e}"))?;
    let prefix = format!("v{node_major}.");
    let newest = index
        .iter()
        .filter_map(|r| r["version"].as_str())
        .filter(|v| v.starts_with(&prefix))
        .filter_map(|v| {
            let parts: Vec<u64> = v[1..].split('.').map(str::parse).collect::<Result<_, _>>().ok()?;
            Some((parts, v[1..].to_owned()))
        })
        .max();
    newest.map(|(_, v)| v).ok_or_else(|| anyhow!("Node's index {url} lists no release of Node {node_major}"))
}
