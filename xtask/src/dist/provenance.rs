//! The dist's build provenance: an in-toto Statement (v1) with the SLSA provenance v1 predicate.
//! Its subjects are the package's files by sha256; `resolvedDependencies` are every pinned input
//! (with the manifest entry it was fetched by, so `verify --rebuild` can fetch it again), every
//! patch by digest and this tool by commit. No wall-clock time anywhere: two builds of the same
//! inputs write the same statement.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Described;
use crate::workdir::{EpochFrom, Pin, SourceInput};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
pub const BUILD_TYPE: &str = "urn:cpython-wasm-xtask:dist:v1";
pub const BUILDER_ID: &str = "urn:cpython-wasm-xtask:builder";

/// What a resolved dependency is for (`annotations.role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Source,
    Compiler,
    Runner,
    Library,
    Patch,
    Tool,
}

/// The parts of a statement `verify` reads back.
#[derive(Debug, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub kind: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: Digest,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Digest {
    pub sha256: String,
}

#[derive(Debug, Deserialize)]
pub struct Predicate {
    #[serde(rename = "buildDefinition")]
    pub build_definition: BuildDefinition,
}

#[derive(Debug, Deserialize)]
pub struct BuildDefinition {
    #[serde(rename = "externalParameters")]
    pub external: External,
    #[serde(rename = "internalParameters")]
    pub internal: Internal,
    #[serde(rename = "resolvedDependencies")]
    pub resolved: Vec<Resolved>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct External {
    pub target: String,
    pub python: String,
    pub version: String,
    pub source: SourceInput,
    #[serde(rename = "configureArgs")]
    pub configure_args: Vec<String>,
    #[serde(rename = "sourceDateEpoch")]
    pub source_date_epoch: u64,
}

#[derive(Debug, Deserialize)]
pub struct Internal {
    #[serde(rename = "sourceDateEpochFrom")]
    pub epoch_from: EpochFrom,
}

#[derive(Debug, Deserialize)]
pub struct Resolved {
    pub name: String,
    #[serde(default)]
    pub digest: serde_json::Map<String, Value>,
    pub annotations: Annotations,
}

#[derive(Debug, Deserialize)]
pub struct Annotations {
    pub role: Role,
    #[serde(default)]
    pub pin: Option<Pin>,
}

impl Statement {
    /// The commit of this tool that built the dist, as its `tool` dependency names it.
    pub fn tool_commit(&self) -> Option<&str> {
        let resolved = &self.predicate.build_definition.resolved;
        let tool = resolved.iter().find(|r| r.annotations.role == Role::Tool)?;
        tool.digest.get("gitCommit")?.as_str()
    }
}

/// The statement of a dist whose files are `subjects` (path, sha256).
pub fn statement(d: &Described, subjects: &[(String, String)]) -> Value {
    let inputs = d.inputs;
    let pinned = |role: Role, pin: &Pin| {
        json!({
            "name": pin.name,
            "uri": pin.url,
            "digest": {"sha256": pin.sha256},
            "annotations": {"role": role, "pin": pin},
        })
    };
    let mut resolved = vec![];
    if let SourceInput::Release(pin) = &inputs.source {
        resolved.push(pinned(Role::Source, pin));
    }
    let roles = [Role::Compiler, Role::Runner].into_iter().chain(std::iter::repeat(Role::Runner));
    resolved.extend(inputs.toolchain.iter().zip(roles).map(|(pin, role)| pinned(role, pin)));
    resolved.extend(inputs.libraries.iter().map(|pin| pinned(Role::Library, pin)));
    for patch in &inputs.patches {
        resolved.push(json!({
            "name": format!("patches/{}/{}", d.line, patch.name),
            "digest": {"sha256": patch.sha256},
            "annotations": {"role": Role::Patch},
        }));
    }
    let mut tool =
        json!({"name": "cpython-wasm-xtask", "annotations": {"role": Role::Tool, "version": d.tool_version}});
    if !d.tool_commit.is_empty() {
        tool["digest"] = json!({"gitCommit": d.tool_commit});
    }
    resolved.push(tool);
    let external = External {
        target: inputs.target.name.into(),
        python: d.line.clone(),
        version: inputs.version.clone(),
        source: inputs.source.clone(),
        configure_args: inputs.configure_args.clone(),
        source_date_epoch: inputs.source_date_epoch,
    };
    let subject: Vec<Subject> = subjects
        .iter()
        .map(|(name, sha256)| Subject { name: name.clone(), digest: Digest { sha256: sha256.clone() } })
        .collect();
    json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": external,
                "internalParameters": {
                    "machine": inputs.machine,
                    "sourceDateEpochFrom": inputs.epoch_from,
                    "unpinnedTools": inputs.unpinned,
                },
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": {"cpython-wasm-xtask": d.tool_version}},
                "metadata": {},
            },
        },
    })
}
