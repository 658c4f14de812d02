//! The dist's SBOM: SPDX 2.3 JSON, as CPython's own SBOM (Misc/sbom.spdx.json) is written: every
//! input a package with its download location, version, sha256 and declared license, and the
//! relationships (the dist generated from CPython, statically linking each library, built with
//! each tool, the patches applied to CPython). No clock: `created` is SOURCE_DATE_EPOCH.

use serde_json::{json, Value};

use super::Described;
use crate::workdir::{Pin, SourceInput};

/// Each component's SPDX license expression, where known; anything else is NOASSERTION.
const LICENSES: &[(&str, &str)] = &[
    ("cpython", "PSF-2.0"),
    ("zlib", "Zlib"),
    ("bzip2", "bzip2-1.0.6"),
    ("libffi", "MIT"),
    ("mpdecimal", "BSD-2-Clause"),
    ("sqlite", "blessing"),
    ("wasi-sdk", "Apache-2.0 WITH LLVM-exception"),
    ("wasmtime", "Apache-2.0 WITH LLVM-exception"),
    ("emscripten", "MIT OR NCSA"),
    ("node", "MIT"),
];

pub fn license(component: &str) -> &'static str {
    LICENSES.iter().find(|(name, _)| *name == component).map_or("NOASSERTION", |(_, license)| license)
}

/// The SPDX document of a dist named `stem`; `namespace_digest` makes its namespace unique to the
/// files it describes.
pub fn document(d: &Described, namespace_digest: &str) -> Value {
    let inputs = d.inputs;
    let mut packages = vec![json!({
        "SPDXID": "SPDXRef-PACKAGE-dist",
        "name": d.stem,
        "versionInfo": inputs.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": license("cpython"),
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
        "comment": format!("CPython {} for {}, built by cpython-wasm-xtask", inputs.version, inputs.target.name),
    })];
    let mut relationships = vec![relation("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-PACKAGE-dist")];

    let cpython = match &inputs.source {
        SourceInput::Release(pin) => package("SPDXRef-PACKAGE-cpython", pin),
        SourceInput::Checkout { commit } => json!({
            "SPDXID": "SPDXRef-PACKAGE-cpython",
            "name": "cpython",
            "versionInfo": inputs.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": license("cpython"),
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "SOURCE",
            "comment": format!("a checkout, commit {}", commit.as_deref().unwrap_or("unknown (not a git work tree)")),
        }),
    };
    packages.push(cpython);
    relationships.push(relation("SPDXRef-PACKAGE-dist", "GENERATED_FROM", "SPDXRef-PACKAGE-cpython"));
    for pin in &inputs.libraries {
        let id = format!("SPDXRef-PACKAGE-{}", spdx_id(&pin.component));
        packages.push(package(&id, pin));
        relationships.push(relation("SPDXRef-PACKAGE-dist", "STATIC_LINK", &id));
    }
    for pin in &inputs.toolchain {
        let id = format!("SPDXRef-PACKAGE-{}", spdx_id(&pin.component));
        packages.push(package(&id, pin));
        relationships.push(relation(&id, "BUILD_TOOL_OF", "SPDXRef-PACKAGE-dist"));
    }
    for (index, patch) in inputs.patches.iter().enumerate() {
        let id = format!("SPDXRef-PACKAGE-patch-{}", index + 1);
        packages.push(json!({
            "SPDXID": id,
            "name": patch.name,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "checksums": [{"algorithm": "SHA256", "checksumValue": patch.sha256}],
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "SOURCE",
            "comment": format!("a patch of this tool's series for CPython {} (patches/{}/)", d.line, d.line),
        }));
        relationships.push(relation(&id, "PATCH_APPLIED", "SPDXRef-PACKAGE-cpython"));
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": d.stem,
        "documentNamespace": format!("urn:cpython-wasm-xtask:sbom:{}:{namespace_digest}", d.stem),
        "creationInfo": {
            "created": super::rfc3339(inputs.source_date_epoch),
            "creators": [format!("Tool: cpython-wasm-xtask-{}", d.tool_version)],
        },
        "packages": packages,
        "relationships": relationships,
    })
}

fn package(id: &str, pin: &Pin) -> Value {
    let purl = format!("pkg:generic/{}@{}?download_url={}", pin.component, pin.version, pin.url);
    json!({
        "SPDXID": id,
        "name": pin.component,
        "versionInfo": pin.version,
        "downloadLocation": pin.url,
        "filesAnalyzed": false,
        "checksums": [{"algorithm": "SHA256", "checksumValue": pin.sha256}],
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": license(&pin.component),
        "copyrightText": "NOASSERTION",
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}],
        "primaryPackagePurpose": if pin.component == "cpython" { "SOURCE" } else { "LIBRARY" },
    })
}

fn relation(a: &str, kind: &str, b: &str) -> Value {
    json!({"spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b})
}

/// SPDX identifiers allow letters, digits, `.` and `-`.
fn spdx_id(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_of_the_shipped_manifest_has_a_license() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let manifest = crate::manifest::Manifest::load(&root.join("sdk-manifest.toml")).unwrap();
        for artifact in &manifest.artifacts {
            assert_ne!(license(&artifact.component), "NOASSERTION", "{}", artifact.component);
        }
    }

    #[test]
    fn identifiers_are_spdx_identifiers() {
        assert_eq!(spdx_id("wasi-sdk"), "wasi-sdk");
        assert_eq!(spdx_id("a_b/c"), "a-b-c");
    }
}
