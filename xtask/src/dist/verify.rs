//! `verify`: a dist archive (or its unpacked directory) against its own records. Every file
//! but `SHA256SUMS` is listed there with the sha256 it has; every file the provenance names as a
//! subject has its digest; the SBOM is SPDX 2.3; links stay inside. The first thing that does
//! not hold is one error line naming the dist and the member.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use fs_err as fs;

use super::archive::{self, Member};
use super::provenance::{Statement, PREDICATE_TYPE, STATEMENT_TYPE};
use super::{PROVENANCE, SBOM, SUMS};
use crate::files::sha256_file;
use crate::text::printable;
use crate::text::PathText;

/// A dist that checked out.
pub struct Verified {
    /// The package's top directory name (`python-3.13.5-wasm32-wasip1`).
    pub stem: String,
    pub files: usize,
    pub statement: Statement,
}

/// Checks the archive or directory at `path`.
pub fn verify(path: &Path) -> anyhow::Result<Verified> {
    let what = format!("the dist {}", path.shown());
    let keep = [SUMS, PROVENANCE, SBOM];
    let (stem, members) = read(path, &keep)?;
    let bytes_of = |name: &str| match members.get(name) {
        Some(Member::File { bytes: Some(bytes), .. }) => Ok(bytes.clone()),
        _ => bail!("{what} has no {name}: it was not made by `cargo xtask dist`, or was changed after"),
    };
    let sums = parse_sums(&String::from_utf8_lossy(&bytes_of(SUMS)?), &what)?;
    let files: BTreeMap<&str, &str> = members
        .iter()
        .filter_map(|(name, m)| match m {
            Member::File { sha256, .. } => Some((name.as_str(), sha256.as_str())),
            _ => None,
        })
        .collect();
    for (name, sha256) in &files {
        if *name == SUMS {
            continue;
        }
        match sums.get(*name) {
            None => bail!("{what}: {} is not in {SUMS}: a file was added after the dist was made", printable(name)),
            Some(listed) if listed != sha256 => bail!(
                "{what}: {} has sha256 {sha256}, {SUMS} says {listed}: the file was changed after the dist was made; get the dist again from its publisher",
                printable(name)
            ),
            Some(_) => {}
        }
    }
    if let Some(missing) = sums.keys().find(|name| !files.contains_key(name.as_str())) {
        bail!(
            "{what}: {} is in {SUMS} but not in the dist: a file was removed after the dist was made",
            printable(missing)
        );
    }

    let statement: Statement = serde_json::from_slice(&bytes_of(PROVENANCE)?)
        .with_context(|| format!("{what}: {PROVENANCE} is not an in-toto statement this tool reads"))?;
    if statement.kind != STATEMENT_TYPE || statement.predicate_type != PREDICATE_TYPE {
        bail!("{what}: {PROVENANCE} is not an in-toto v1 statement with a SLSA v1 provenance predicate");
    }
    for subject in &statement.subject {
        if files.get(subject.name.as_str()) != Some(&subject.digest.sha256.as_str()) {
            bail!("{what}: the provenance's subject {} does not match the file", printable(&subject.name));
        }
    }
    let subjects: Vec<&str> = statement.subject.iter().map(|s| s.name.as_str()).collect();
    if let Some(outside) = files.keys().find(|name| ![SUMS, PROVENANCE].contains(name) && !subjects.contains(name)) {
        bail!("{what}: {} is not a subject of the provenance", printable(outside));
    }
    let sbom: serde_json::Value =
        serde_json::from_slice(&bytes_of(SBOM)?).with_context(|| format!("{what}: {SBOM} is not JSON"))?;
    if sbom["spdxVersion"] != "SPDX-2.3" {
        bail!("{what}: {SBOM} is not an SPDX 2.3 document");
    }
    Ok(Verified { stem, files: files.len(), statement })
}

/// `SHA256SUMS`: `<sha256>  <path>` per line.
fn parse_sums(text: &str, what: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut sums = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let parsed = line
            .split_once("  ")
            .filter(|(sha, path)| sha.len() == 64 && sha.chars().all(|c| c.is_ascii_hexdigit()) && !path.is_empty());
        let Some((sha256, path)) = parsed else {
            bail!("{what}: {SUMS} line {} is not `<sha256>  <path>`: {}", number + 1, printable(line));
        };
        sums.insert(path.to_owned(), sha256.to_ascii_lowercase());
    }
    Ok(sums)
}

/// The members of an unpacked dist, as [`archive::read`] gives them. `__pycache__` directories
/// are left out: the interpreter writes them when it runs from the directory.
fn read_dir(root: &Path, keep: &[&str]) -> anyhow::Result<BTreeMap<String, Member>> {
    let mut members = BTreeMap::new();
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let kind = entry.file_type()?;
            let member = if kind.is_dir() && entry.file_name() == "__pycache__" {
                continue;
            } else if kind.is_dir() {
                stack.push((entry.path(), format!("{name}/")));
                Member::Dir
            } else if kind.is_symlink() {
                let to = fs::read_link(entry.path())?.plain();
                if !archive::link_stays_inside(&name, &to) {
                    bail!("the dist {}: {} links outside the package", root.shown(), printable(&name));
                }
                Member::Link(to)
            } else if kind.is_file() {
                let bytes = match keep.contains(&name.as_str()) {
                    true => Some(fs::read(entry.path())?),
                    false => None,
                };
                Member::File { sha256: sha256_file(&entry.path())?, bytes }
            } else {
                bail!("the dist {}: {} is neither a file, a directory nor a link", root.shown(), printable(&name));
            };
            members.insert(name, member);
        }
    }
    Ok(members)
}

/// The first member that differs between two dists, by path: a file of the package before the
/// records that list it (SHA256SUMS, the SBOM, the provenance), which differ whenever it does.
pub fn first_difference(a: &BTreeMap<String, Member>, b: &BTreeMap<String, Member>) -> Option<String> {
    let strip = |m: &Member| match m {
        Member::File { sha256, .. } => format!("file {sha256}"),
        Member::Dir => "directory".into(),
        Member::Link(to) => format!("link to {to}"),
    };
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    // SHA256SUMS last: it differs whenever the SBOM or the provenance does.
    let records = [SBOM, PROVENANCE, SUMS];
    let (payload, mut listed): (Vec<&String>, Vec<&String>) =
        names.into_iter().partition(|n| !records.contains(&n.as_str()));
    listed.sort_by_key(|name| records.iter().position(|r| r == name));
    payload.into_iter().chain(listed).find_map(|name| {
        let (left, right) = (a.get(name).map(strip), b.get(name).map(strip));
        (left != right).then(|| {
            let show = |side: Option<String>| side.unwrap_or_else(|| "absent".into());
            format!("{}: {} vs {}", printable(name), show(left), show(right))
        })
    })
}

/// The members of the archive or directory at `path`.
pub fn members(path: &Path) -> anyhow::Result<BTreeMap<String, Member>> {
    Ok(read(path, &[])?.1)
}

/// The top directory's name and the members of the archive or directory at `path`, the files
/// named in `keep` with their bytes.
fn read(path: &Path, keep: &[&str]) -> anyhow::Result<(String, BTreeMap<String, Member>)> {
    match fs::metadata(path)?.is_dir() {
        true => Ok((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), read_dir(path, keep)?)),
        false => archive::read(path, keep),
    }
}
