//! Tidiness checks over the repository's own text, as rust-analyzer's tidy test does:
//! every repository path a comment, an error or a doc names exists; every JS asset passes
//! `node --check` and every Python asset compiles, where those tools are present (a missing
//! tool is a printed skip, never a silent pass).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The repository's own files: everything under the top-level entries, but not build output.
fn files() -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack: Vec<PathBuf> =
        ["xtask", "e2e", "docs", "bench", "patches", ".ci", "README.md"].iter().map(|p| root().join(p)).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.is_file() {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn with_extension<'a>(files: &'a [PathBuf], extensions: &'a [&str]) -> impl Iterator<Item = &'a PathBuf> {
    files.iter().filter(move |p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.contains(&e)))
}

/// Tokens like `xtask/src/run/smoke.rs` or `docs/web.md`: a top-level directory of this
/// repository, then path characters.
fn repository_paths(text: &str) -> Vec<String> {
    let mut found = vec![];
    for top in ["xtask/", "e2e/", "docs/", "bench/", "patches/", ".ci/"] {
        let mut rest = text;
        while let Some(at) = rest.find(top) {
            let before = rest[..at].chars().next_back();
            let tail = &rest[at..];
            let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c))).unwrap_or(tail.len());
            let token = tail[..end].trim_end_matches(['.', '/']);
            // Part of a longer path (`target/xtask/…`, `CACHE/docs/…`) or a URL: not ours.
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || "/_-.".contains(c)) {
                found.push(token.to_owned());
            }
            rest = &tail[end.max(1)..];
        }
    }
    found
}

/// A token that stands for many paths (`patches/X.Y/series.toml`), or names a directory a run
/// creates, is not checked.
fn is_pattern(token: &str) -> bool {
    token.contains("X.Y")
        || token.ends_with("/N")
        || token.split('/').any(|part| part.chars().all(|c| c.is_ascii_uppercase()))
}

#[test]
fn every_repository_path_named_in_code_and_docs_exists() {
    let root = root();
    let mut missing = BTreeSet::new();
    let texts = with_extension(&files(), &["rs", "md", "sh", "mjs", "cjs", "js", "py", "toml", "c", "html"])
        .chain(files().iter().filter(|p| p.ends_with(".ci/run")))
        .cloned()
        .collect::<Vec<_>>();
    for file in &texts {
        let text = std::fs::read_to_string(file).unwrap();
        for token in repository_paths(&text) {
            if !is_pattern(&token) && !root.join(&token).exists() {
                missing.insert(format!("{}: {token}", file.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(missing.is_empty(), "paths named but not in the repository:\n{}", Vec::from_iter(missing).join("\n"));
}

/// Bare Rust file names (`mod.rs`): each must be a file of this repository, by its name.
#[test]
fn every_rust_file_named_exists() {
    let files = files();
    let names: BTreeSet<String> =
        with_extension(&files, &["rs"]).map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let mut missing = BTreeSet::new();
    for file in with_extension(&files, &["rs", "md", "sh"]) {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, _) in text.match_indices(".rs") {
            let start = text[..at].rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
            let after = text[at + 3..].chars().next();
            let name = &text[start..at + 3];
            let stem_ok = start < at && !text[..start].ends_with(['.', '-']);
            if stem_ok && !after.is_some_and(|c| c.is_ascii_alphanumeric()) && !names.contains(name) {
                missing.insert(format!("{}: {name}", file.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(missing.is_empty(), "Rust files named but not in the repository:\n{}", Vec::from_iter(missing).join("\n"));
}

#[test]
fn the_path_scanner_finds_paths_and_leaves_others() {
    let text = "see e2e/run.sh and docs/web.md. Not target/xtask/foo or https://x.org/docs/a; `xtask/src/lib.rs`";
    assert_eq!(repository_paths(text), ["xtask/src/lib.rs", "e2e/run.sh", "docs/web.md"]);
    assert!(is_pattern("patches/X.Y/series.toml") && is_pattern("docs/WORK/x") && !is_pattern("docs/web.md"));
}

/// Runs `tool ARGS FILE` on each file; a missing tool skips with a printed reason.
fn check_each(tool: &str, args: &[&str], files: Vec<&PathBuf>) {
    if Command::new(tool).arg("--version").output().is_err() {
        println!("tidy: SKIPPED: `{tool}` is not on PATH, so {} asset(s) were not checked", files.len());
        return;
    }
    assert!(!files.is_empty(), "no assets found for {tool}");
    let mut failed = vec![];
    for file in files {
        let out = Command::new(tool).args(args).arg(file).output().unwrap();
        if !out.status.success() {
            failed.push(format!("{}: {}", file.display(), String::from_utf8_lossy(&out.stderr).trim()));
        }
    }
    assert!(failed.is_empty(), "{tool} rejects:\n{}", failed.join("\n"));
}

#[test]
fn every_js_asset_parses() {
    let files = files();
    check_each("node", &["--check"], with_extension(&files, &["js", "mjs", "cjs"]).collect());
}

#[test]
fn every_python_asset_compiles() {
    let files = files();
    let script = "import sys, py_compile\nfor f in sys.argv[1:]: compile(open(f, encoding='utf-8').read(), f, 'exec')";
    check_each("python3", &["-c", script], with_extension(&files, &["py"]).collect());
}

/// Outside text is escaped by construction: a path becomes text only through `text::PathText`
/// (`shown` for messages, `plain` for values), so `Path::display`, which prints a newline or
/// ESC as it is, appears nowhere in the tool's own code; nor does a lossy conversion or an
/// error's `{:#}` inside a message (text::error_text escapes what errors quote); only the
/// fixture builder, src/bin, is left out.
#[test]
fn no_message_formats_a_path_or_outside_string_without_escaping_it() {
    let mut bypasses = vec![];
    let src = root().join("xtask/src");
    for file in with_extension(&files(), &["rs"]) {
        let rel = file.strip_prefix(&src).map(|r| r.to_string_lossy().into_owned()).unwrap_or_default();
        if !file.starts_with(&src) || rel == "text.rs" || rel.starts_with("bin/") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let message = ["eprintln!(", "println!(", "bail!(", "anyhow!(", "context(", "say(", "message:"]
                .iter()
                .any(|m| line.contains(m));
            // `{error:#}` would print an io or parser error's quoted path as it is: text::error_text.
            let raw = line.contains("to_string_lossy()") || line.contains(":#}");
            if line.contains(".display()") || (message && raw) {
                bypasses.push(format!("xtask/src/{rel}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(bypasses.is_empty(), "text that bypasses text::PathText:\n{}", bypasses.join("\n"));
}
