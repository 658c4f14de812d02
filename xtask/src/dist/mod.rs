//! The dist stage: a bootstrap's result as one archive anyone can check and rebuild. The layout
//! (layout.rs) is CPython's own WASI package for wasmtime and Node, the web bundle for the
//! browser; in each archive `SHA256SUMS`, an SPDX 2.3 SBOM (sbom.rs) and an in-toto/SLSA
//! provenance statement (provenance.rs); the archive is written byte for byte from its members
//! (archive.rs). `verify` (verify.rs) checks one.

mod archive;
mod layout;
pub mod provenance;
mod sbom;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::files::{hex, sha256_file};
use crate::line::PythonLine;
use crate::workdir::{BuildInputs, RunRecord, WorkDir};
use layout::{Content, Entry};
use sha2::{Digest, Sha256};

pub const SUMS: &str = "SHA256SUMS";
pub const SBOM: &str = "sbom.spdx.json";
pub const PROVENANCE: &str = "provenance.intoto.json";

/// This tool's version, and the commit it was built from (empty outside a git checkout).
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const TOOL_COMMIT: &str = env!("XTASK_COMMIT");

/// What the SBOM and the provenance describe.
pub struct Described<'a> {
    pub inputs: &'a BuildInputs,
    /// The package's name: `python-3.13.5-wasm32-wasip1`.
    pub stem: String,
    pub line: String,
    pub tool_version: &'a str,
    pub tool_commit: &'a str,
}

/// A written dist.
#[derive(Debug, serde::Serialize)]
pub struct Packaged {
    pub archive: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    /// Regular files in the package.
    pub files: usize,
}

/// The package name of a build: CPython's (`python-X.Y.Z-wasm32-wasip1`) and the target's.
pub fn stem(inputs: &BuildInputs) -> String {
    format!("python-{}-{}", inputs.version, inputs.target.dist_name)
}

/// Packages the build of `work` (its run record and input record) into `out/<stem>.tar.xz`.
pub fn package(work: &WorkDir, record: &RunRecord, inputs: &BuildInputs, out: &Path) -> anyhow::Result<Packaged> {
    let line = PythonLine::parse(&record.python)?;
    let profile = crate::line::profile(line)?;
    let sources = layout::Sources {
        build: &work.target_build,
        tree: &record.source,
        runner: &record.runner,
        paths: &inputs.paths,
        line,
        profile,
        bundle: &work.web_bundle(),
    };
    let mut entries = layout::entries(inputs.target.package, &sources)?;
    let described = Described {
        inputs,
        stem: stem(inputs),
        line: line.to_string(),
        tool_version: TOOL_VERSION,
        tool_commit: TOOL_COMMIT,
    };

    let mut sums = digests(&entries)?;
    let sbom = json_bytes(&sbom::document(&described, &digest_of_sums(&sums)))?;
    sums.push((SBOM.into(), hex(&Sha256::digest(&sbom))));
    let statement = json_bytes(&provenance::statement(&described, &sums))?;
    sums.push((PROVENANCE.into(), hex(&Sha256::digest(&statement))));
    sums.sort();
    for (name, bytes) in [(SBOM, sbom), (PROVENANCE, statement), (SUMS, sums_text(&sums).into_bytes())] {
        entries.push(Entry { path: name.into(), content: Content::Bytes { bytes, executable: false } });
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));

    let archive = out.join(format!("{}.tar.xz", described.stem));
    archive::write(&archive, &described.stem, &entries, inputs.source_date_epoch)?;
    let sha256 = sha256_file(&archive)?;
    let bytes = fs_err::metadata(&archive)?.len();
    Ok(Packaged { archive, sha256, bytes, files: sums.len() + 1 })
}

/// (path, sha256) of every file of the package, in path order.
fn digests(entries: &[Entry]) -> anyhow::Result<Vec<(String, String)>> {
    let mut sums = vec![];
    for entry in entries {
        let digest = match &entry.content {
            Content::File { from, .. } => sha256_file(from)?,
            Content::Bytes { bytes, .. } => hex(&Sha256::digest(bytes)),
            Content::Link(_) | Content::Dir => continue,
        };
        sums.push((entry.path.clone(), digest));
    }
    Ok(sums)
}

/// `SHA256SUMS` as sha256sum writes it: `<sha256>  <path>` per line.
pub fn sums_text(sums: &[(String, String)]) -> String {
    sums.iter().map(|(path, sha256)| format!("{sha256}  {path}\n")).collect()
}

fn digest_of_sums(sums: &[(String, String)]) -> String {
    hex(&Sha256::digest(sums_text(sums).as_bytes()))
}

fn json_bytes(value: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Seconds since the epoch as RFC 3339 in UTC (`2025-06-11T14:49:12Z`).
pub fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod dist_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_749_653_352), "2025-06-11T14:49:12Z");
    }
}
