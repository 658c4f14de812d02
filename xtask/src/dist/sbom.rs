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
    let mut dist = entry("SPDXRef-PACKAGE-dist", &d.stem, "NOASSERTION", license("cpython"), "APPLICATION");
    dist["versionInfo"] = json!(inputs.version);
    dist["comment"] =
        json!(format!("CPython {} for {}, built by cpython-wasm-xtask", inputs.version, inputs.target.name));
    let mut packages = vec![dist];
    let mut relationships = vec![relation("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-PACKAGE-dist")];

    let cpython = match &inputs.source {
        SourceInput::Release(pin) => package("SPDXRef-PACKAGE-cpython", pin),
        SourceInput::Checkout { commit } => {
            let mut checkout = entry("SPDXRef-PACKAGE-cpython", "cpython", "NOASSERTION", license("cpython"), "SOURCE");
            checkout["versionInfo"] = json!(inputs.version);
            let commit = commit.as_deref().unwrap_or("unknown (not a git work tree)");
            checkout["comment"] = json!(format!("a checkout, commit {commit}"));
            checkout
        }
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
        let mut entry = entry(&id, &patch.name, "NOASSERTION", "NOASSERTION", "SOURCE");
        entry["checksums"] = sha256(&patch.sha256);
        entry["comment"] = json!(format!("a patch of this tool's series for CPython {} (patches/{}/)", d.line, d.line));
        packages.push(entry);
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

/// The fields every package of the document has; callers add version, checksums and comments.
fn entry(id: &str, name: &str, location: &str, license: &str, purpose: &str) -> Value {
    json!({
        "SPDXID": id,
        "name": name,
        "downloadLocation": location,
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": license,
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": purpose,
    })
}

fn sha256(digest: &str) -> Value {
    json!([{"algorithm": "SHA256", "checksumValue": digest}])
}

/// A pinned input: its download location, version, sha256, license and purl.
fn package(id: &str, pin: &Pin) -> Value {
    let purpose = if pin.component == "cpython" { "SOURCE" } else { "LIBRARY" };
    let mut package = entry(id, &pin.component, &pin.url, license(&pin.component), purpose);
    package["versionInfo"] = json!(pin.version);
    package["checksums"] = sha256(&pin.sha256);
    let purl = format!("pkg:generic/{}@{}?download_url={}", pin.component, pin.version, pin.url);
    package["externalRefs"] =
        json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}]);
    package
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
