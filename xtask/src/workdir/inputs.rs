//! The build's input record (`WORK/<target>/inputs.json`): every pinned input that went into a
//! target's build, the patches by digest, SOURCE_DATE_EPOCH and where it came from, and the host
//! directories the build saw with the stable names they have in its outputs. Written by
//! bootstrap after the build; `dist` turns it into the SBOM and the provenance.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::Artifact;
use crate::target::Target;
use crate::text::PathText;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildInputs {
    #[serde(with = "crate::target::as_name")]
    pub target: &'static Target,
    /// The full version of the source (`3.13.5`, `3.15.0a8`), as Include/patchlevel.h says.
    pub version: String,
    pub source: SourceInput,
    pub source_date_epoch: u64,
    pub epoch_from: EpochFrom,
    /// The machine that built it, as the manifest's `host` field names it.
    pub machine: String,
    /// The compiler and the runner, in that order; a tool given on the command line instead of
    /// its pin is in `unpinned`.
    pub toolchain: Vec<Pin>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unpinned: Vec<String>,
    pub libraries: Vec<Pin>,
    pub patches: Vec<PatchPin>,
    /// `--configure-arg` values.
    pub configure_args: Vec<String>,
    /// The host directories the build saw and their stable names (never shipped).
    pub paths: PathMap,
}

/// Where SOURCE_DATE_EPOCH came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EpochFrom {
    /// The release tarball's `configure` mtime.
    Release,
    /// The checkout's last commit (its `configure` mtime outside git).
    Commit,
    /// `--source-date-epoch`.
    Flag,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SourceInput {
    Release(Box<Pin>),
    /// A checkout: its commit, if it is a git work tree.
    Checkout {
        #[serde(default)]
        commit: Option<String>,
    },
}

/// A pinned artifact as the manifest had it: enough to fetch and check it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    pub component: String,
    pub name: String,
    pub version: String,
    pub url: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpacked_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub python: Vec<String>,
    /// The archive format as the manifest spells it (`tar.xz`).
    pub format: String,
}

impl Pin {
    pub fn of(artifact: &Artifact) -> Pin {
        Pin {
            component: artifact.component.clone(),
            name: artifact.name.clone(),
            version: artifact.version.clone(),
            url: artifact.url.clone(),
            sha256: artifact.sha256.clone(),
            size: artifact.size,
            unpacked_size: artifact.unpacked_size,
            strip: artifact.strip.clone(),
            host: artifact.host.clone(),
            python: artifact.python.clone(),
            format: artifact.format.name().to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchPin {
    pub name: String,
    pub sha256: String,
}

/// The work dir's name in the outputs.
const WORK_STABLE: &str = "/xtask-work";

/// A host directory the build saw, and the name it has in the outputs instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StablePath {
    pub host: PathBuf,
    pub stable: String,
}

/// Every host directory a build sees, mapped to a fixed name: in debug information through the
/// compiler's prefix maps, in the packaged text files (`_sysconfigdata`, python-config, the
/// pkg-config files) by [`PathMap::rewrite`]. So neither the work dir, the cache nor the
/// toolchains' location reach an output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathMap(pub Vec<StablePath>);

impl PathMap {
    /// The map of a build: the compiler's directory, the dependency builds, the cache (where the
    /// runners live) and the work dir.
    pub fn new(work: &Path, cache: &Path, deps: &Path, compiler_root: &Path) -> PathMap {
        let pairs =
            [(compiler_root, "/xtask-toolchains"), (deps, "/xtask-deps"), (cache, "/xtask-cache"), (work, WORK_STABLE)];
        PathMap(
            pairs
                .into_iter()
                .map(|(host, stable)| StablePath { host: host.to_owned(), stable: stable.into() })
                .collect(),
        )
    }

    /// The compiler flags: `-ffile-prefix-map=HOST=STABLE`, in a fixed order (the flags end up
    /// in the sysconfig data, so their order may not depend on the paths): the work dir, the
    /// cache, then the directories inside it, as compilers apply the last map that matches.
    pub fn prefix_map_flags(&self) -> Vec<String> {
        self.0.iter().rev().map(|m| format!("-ffile-prefix-map={}={}", m.host.plain(), m.stable)).collect()
    }

    fn longest_first(&self) -> Vec<&StablePath> {
        let mut maps: Vec<&StablePath> = self.0.iter().collect();
        maps.sort_by_key(|m| std::cmp::Reverse(m.host.as_os_str().len()));
        maps
    }

    /// `text` with every host directory, where it stands as a whole path component, replaced by
    /// its stable name (the longest first, so a directory inside another maps to its own name).
    pub fn rewrite(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for map in self.longest_first() {
            let host = map.host.plain();
            if host.len() > 1 {
                text = replace_path(&text, &host, &map.stable);
            }
        }
        text
    }
}

impl PathMap {
    /// The map with the work dir's view of the toolchain and the libraries (toolchains::view)
    /// first: they have the stable names of what they link to.
    pub fn with_view(mut self, toolchains: &Path, deps: &Path) -> PathMap {
        let view = [(toolchains, "/xtask-toolchains"), (deps, "/xtask-deps")]
            .map(|(host, stable)| StablePath { host: host.to_owned(), stable: stable.into() });
        self.0.splice(0..0, view);
        self
    }

    /// The maps of directories inside the work dir (the view), not the work dir itself.
    pub fn inside_work(&self) -> Vec<&StablePath> {
        let Some(work) = self.0.iter().find(|map| map.stable == WORK_STABLE) else { return vec![] };
        self.0.iter().filter(|map| map.host != work.host && map.host.starts_with(&work.host)).collect()
    }

    /// `text` with every host directory replaced by a placeholder of its own (`@xtask-path-N@`,
    /// N its place in the map), which [`PathMap::resolve_placeholders`] turns into another build's
    /// directories: unlike the stable names, which the text may hold already (in the prefix
    /// maps), a placeholder maps back to exactly one directory.
    pub fn to_placeholders(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (index, map) in self.longest_first_indexed() {
            let host = map.host.plain();
            if host.len() > 1 {
                text = replace_path(&text, &host, &format!("@xtask-path-{index}@"));
            }
        }
        text
    }

    pub fn resolve_placeholders(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (index, map) in self.0.iter().enumerate() {
            text = text.replace(&format!("@xtask-path-{index}@"), &map.host.plain());
        }
        text
    }

    fn longest_first_indexed(&self) -> Vec<(usize, &StablePath)> {
        let mut maps: Vec<(usize, &StablePath)> = self.0.iter().enumerate().collect();
        maps.sort_by_key(|(_, m)| std::cmp::Reverse(m.host.as_os_str().len()));
        maps
    }
}

impl PathMap {
    /// [`PathMap::rewrite`] of Python source as pprint writes it (`_sysconfigdata` up to 3.12):
    /// pprint cuts a long string into adjacent literals at a width, and where it cut depended on
    /// the host paths' lengths, so each run of adjacent literals is joined into one first.
    pub fn rewrite_python(&self, text: &str) -> String {
        self.rewrite(&join_adjacent_literals(text))
    }
}

/// Joins a line ending in a string literal's closing quote to the next line when that one,
/// indented, opens a literal with the same quote: `'ab'` + `'cd'` is `'abcd'`.
fn join_adjacent_literals(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let mut line = line.to_owned();
        loop {
            let body = line.trim_end_matches('\n');
            let Some(quote) = body.chars().last().filter(|c| *c == '\'' || *c == '"') else { break };
            let Some(next) = lines.peek() else { break };
            let rest = next.trim_start();
            let indented = rest.len() < next.len();
            if !indented || !rest.starts_with(quote) || body.trim_start().starts_with('#') {
                break;
            }
            line = format!("{}{}", &body[..body.len() - 1], &rest[1..]);
            lines.next();
        }
        out.push_str(&line);
    }
    out
}

/// Replaces `from` by `to` where it is followed by the end of a path component.
fn replace_path(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        let ends = after.chars().next().is_none_or(|c| !(c.is_alphanumeric() || "-_.+~".contains(c)));
        out.push_str(&rest[..at]);
        out.push_str(if ends { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> PathMap {
        PathMap::new(
            Path::new("/home/u/work"),
            Path::new("/home/u/work-cache"),
            Path::new("/home/u/work-cache/deps"),
            Path::new("/home/u/work-cache/toolchains/wasi-sdk-24"),
        )
    }

    #[test]
    fn rewrites_whole_components_and_the_most_specific_directory() {
        let text = "CC='/home/u/work-cache/toolchains/wasi-sdk-24/bin/clang' \
                    -I/home/u/work-cache/deps/zlib/include -L/home/u/work/x /home/u/workshop /home/u/work";
        assert_eq!(
            map().rewrite(text),
            "CC='/xtask-toolchains/bin/clang' -I/xtask-deps/zlib/include -L/xtask-work/x /home/u/workshop /xtask-work"
        );
    }

    #[test]
    fn prefix_maps_put_the_most_specific_last() {
        let flags = map().prefix_map_flags();
        assert_eq!(flags.first().unwrap(), "-ffile-prefix-map=/home/u/work=/xtask-work");
        assert_eq!(
            flags.last().unwrap(),
            "-ffile-prefix-map=/home/u/work-cache/toolchains/wasi-sdk-24=/xtask-toolchains"
        );
    }

    #[test]
    fn pprints_cuts_are_joined_whatever_the_paths_lengths() {
        let short = "build_time_vars = {'A': '-g '\n              '-I/home/u/work/x',\n 'B': \"it's\"}\n";
        let joined = map().rewrite_python(short);
        assert_eq!(joined, "build_time_vars = {'A': '-g -I/xtask-work/x',\n 'B': \"it's\"}\n");
        let long = "build_time_vars = {'A': '-g -I/home/u/work/x',\n 'B': \"it's\"}\n";
        assert_eq!(map().rewrite_python(long), joined);
        // A different quote is another literal: left alone.
        let mixed = "x = ('a'\n     \"b\")\n";
        assert_eq!(map().rewrite_python(mixed), mixed);
    }

    #[test]
    fn placeholders_map_one_builds_directories_onto_anothers() {
        let text = "CFLAGS='-ffile-prefix-map=/home/u/work=/xtask-work' CC=/home/u/work/view/toolchains/sdk/bin/clang \
                    X=/home/u/work-cache/deps/z";
        let view = |root: &str| {
            let root = Path::new(root);
            PathMap::new(root, &root.join("c"), &root.join("c/deps"), &root.join("c/toolchains"))
                .with_view(&root.join("view/toolchains"), &root.join("view/deps"))
        };
        let one = map().with_view(Path::new("/home/u/work/view/toolchains"), Path::new("/home/u/work/view/deps"));
        let seed = one.to_placeholders(text);
        assert!(!seed.contains("/home/u"), "{seed}");
        assert!(seed.contains("=/xtask-work'"), "the stable names stay: {seed}");
        assert_eq!(one.resolve_placeholders(&seed), text);
        let other = view("/srv/b").resolve_placeholders(&seed);
        assert_eq!(
            other,
            "CFLAGS='-ffile-prefix-map=/srv/b=/xtask-work' CC=/srv/b/view/toolchains/sdk/bin/clang X=/srv/b/c/deps/z"
        );
    }

    #[test]
    fn the_record_reads_back() {
        let pin = Pin {
            component: "zlib".into(),
            name: "zlib".into(),
            version: "1.3.1".into(),
            url: "https://example.invalid/zlib.tar.gz".into(),
            sha256: "ab".repeat(32),
            size: Some(3),
            unpacked_size: None,
            strip: None,
            host: None,
            python: vec![],
            format: "tar.gz".into(),
        };
        let inputs = BuildInputs {
            target: &crate::target::WASI,
            version: "3.13.5".into(),
            source: SourceInput::Checkout { commit: Some("c0ffee".into()) },
            source_date_epoch: 1,
            epoch_from: EpochFrom::Commit,
            machine: "x86_64-linux".into(),
            toolchain: vec![pin.clone()],
            unpinned: vec![],
            libraries: vec![pin],
            patches: vec![PatchPin { name: "a.patch".into(), sha256: "cd".repeat(32) }],
            configure_args: vec![],
            paths: map(),
        };
        let text = serde_json::to_string(&inputs).unwrap();
        let back: BuildInputs = serde_json::from_str(&text).unwrap();
        assert_eq!(back.target.name, "wasi");
        assert_eq!(back.source, inputs.source);
        assert_eq!(back.paths, inputs.paths);
    }
}
