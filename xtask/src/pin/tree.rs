//! `--from-tree`: what a CPython tree's own pins name and the manifest lacks, as requests.

use anyhow::anyhow;

use super::publishers::Component;
use super::{Publishers, Request};
use crate::manifest::{Artifact, Manifest};
use crate::source::{PythonLine, TreePins};
use crate::toolchains::major;

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
    let wanted = [
        (Component::Emscripten, pins.emscripten.as_deref(), false),
        (Component::Node, pins.node_major.as_deref(), true),
        (Component::WasiSdk, pins.wasi_sdk.as_deref(), true),
    ];
    for (component, version, by_major) in wanted {
        let Some(version) = version else { continue };
        let lacking: Vec<String> = hosts
            .iter()
            .filter(|h| {
                let matches = |a: &Artifact| match by_major {
                    true => major(&a.version) == version,
                    false => a.version == version,
                };
                manifest.last_matching(h, component.name(), matches).is_none()
            })
            .cloned()
            .collect();
        if lacking.is_empty() {
            continue;
        }
        let version = match component {
            Component::Node => node_version(version)?,
            _ => version.to_owned(),
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
