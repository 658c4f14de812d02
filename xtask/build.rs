//! Records the commit this tool is built from (XTASK_COMMIT), for the provenance of what `dist`
//! packages. Read from the git directory's files, no git command; empty outside a git checkout.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_owned).unwrap_or_default();
    let git = workspace.join(".git");
    let head = git.join("HEAD");
    println!("cargo:rerun-if-changed={}", head.display());
    let commit = fs::read_to_string(&head).ok().and_then(|text| resolve(&git, text.trim())).unwrap_or_default();
    println!("cargo:rustc-env=XTASK_COMMIT={commit}");
}

/// `HEAD`'s commit: the hash it holds, or the one its ref holds (a loose ref file or packed-refs).
fn resolve(git: &Path, head: &str) -> Option<String> {
    let Some(name) = head.strip_prefix("ref: ") else {
        return is_hash(head).then(|| head.to_owned());
    };
    let loose: PathBuf = git.join(name);
    println!("cargo:rerun-if-changed={}", loose.display());
    println!("cargo:rerun-if-changed={}", git.join("packed-refs").display());
    if let Ok(text) = fs::read_to_string(&loose) {
        return is_hash(text.trim()).then(|| text.trim().to_owned());
    }
    let packed = fs::read_to_string(git.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, refname) = line.split_once(' ')?;
        (refname == name && is_hash(hash)).then(|| hash.to_owned())
    })
}

fn is_hash(text: &str) -> bool {
    text.len() == 40 && text.chars().all(|c| c.is_ascii_hexdigit())
}
