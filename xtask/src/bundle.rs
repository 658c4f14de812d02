//! `bundle.json`, the web bundle's description: written by the web stage, read by `run` and
//! `test` (in Rust) and by the JS that loads the interpreter (the page's worker and the Node
//! runner of a bundle). One type; a test below ties the fields the JS reads to it.

use std::path::Path;

use crate::text::PathText;
use anyhow::Context;
use serde::{Deserialize, Serialize};

pub const FILE: &str = "bundle.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// The CPython line (`3.14`).
    pub python: String,
    /// The interpreter module's file name (`python.js` or `python.mjs`).
    pub module: String,
    /// `script` (3.13's python.js, loaded with importScripts) or `module` (an ES module factory).
    pub kind: ModuleKind,
    pub wasm: String,
    /// The stdlib zip's file name in the bundle, and its path inside the interpreter.
    pub stdlib: String,
    pub stdlib_path: String,
    /// Where extension modules go inside the interpreter.
    pub dynload: String,
    /// `PREFIX/lib/pythonX.Y/os.py`, written empty but for a comment: the landmark by which the
    /// interpreter's getpath recognises its prefix (without it, 3.13 warns "Could not find
    /// platform independent libraries" on stderr). The frozen os module is what runs.
    pub landmark: String,
    /// The extension modules' file names in the bundle.
    pub extensions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleKind {
    Script,
    Module,
}

impl Bundle {
    /// The bundle.json of the bundle in `dir`; a missing or foreign one says to bootstrap again.
    pub fn read(dir: &Path) -> anyhow::Result<Bundle> {
        let path = dir.join(FILE);
        let text = fs_err::read_to_string(&path).context("no web bundle description: run bootstrap again")?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not this tool's bundle description: run bootstrap again", path.shown()))
    }

    /// The JSON written into the bundle: pretty, with a final line break.
    pub fn to_json(&self) -> anyhow::Result<Vec<u8>> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        Ok(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        Bundle {
            python: "3.14".into(),
            module: "python.mjs".into(),
            kind: ModuleKind::Module,
            wasm: "python.wasm".into(),
            stdlib: "python3.14.zip".into(),
            stdlib_path: "/lib/python314.zip".into(),
            dynload: "/lib/python3.14/lib-dynload".into(),
            landmark: "/lib/python3.14/os.py".into(),
            extensions: vec!["x.so".into()],
        }
    }

    /// Every `config.NAME` the JS embedders read is a field, and every field is read by one.
    #[test]
    fn the_js_embedders_read_the_fields_of_the_type() {
        let value = serde_json::to_value(sample()).unwrap();
        let fields: std::collections::BTreeSet<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut read = std::collections::BTreeSet::new();
        for js in [crate::web::WORKER, crate::web::NODE_RUNNER, crate::web::EMBED] {
            for (at, _) in js.match_indices("config.") {
                let name: String =
                    js[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                assert!(fields.contains(name.as_str()), "the JS reads config.{name}, which bundle.json lacks");
                read.insert(name);
            }
        }
        let unread: Vec<&&str> = fields.iter().filter(|f| !read.contains(**f)).collect();
        assert!(unread.is_empty(), "bundle.json fields no JS reads: {unread:?}");
    }

    #[test]
    fn a_bundle_description_is_read_back_and_a_foreign_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join(FILE), sample().to_json().unwrap()).unwrap();
        assert_eq!(Bundle::read(dir.path()).unwrap(), sample());
        fs_err::write(dir.path().join(FILE), r#"{"python": "3.14", "evil": 1}"#).unwrap();
        let error = format!("{:#}", Bundle::read(dir.path()).unwrap_err());
        assert!(error.contains("is not this tool's bundle description: run bootstrap again"), "{error}");
    }
}
