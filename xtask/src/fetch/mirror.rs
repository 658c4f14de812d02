//! Where an artifact's bytes come from: upstream, or a mirror (docs/mirror.md). Pure functions.

use std::path::PathBuf;

use crate::manifest::Artifact;
use crate::text::PathText;

/// A mirror given by `--mirror`: a base URL or a local directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirror {
    Http(String),
    Dir(PathBuf),
}

impl Mirror {
    /// `http(s)://…` is a served mirror; `file://…` or a plain path is a directory.
    pub fn parse(value: &str) -> Mirror {
        if value.starts_with("http://") || value.starts_with("https://") {
            Mirror::Http(value.trim_end_matches('/').to_owned())
        } else if let Some(path) = value.strip_prefix("file://") {
            Mirror::Dir(PathBuf::from(path))
        } else {
            Mirror::Dir(PathBuf::from(value))
        }
    }
}

/// One place to read an artifact from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Url(String),
    File(PathBuf),
}

impl Source {
    /// The URL, or a file:// URL for a local file.
    pub fn location(&self) -> String {
        match self {
            Source::Url(url) => url.clone(),
            Source::File(path) => format!("file://{}", path.plain()),
        }
    }

    pub fn needs_network(&self) -> bool {
        matches!(self, Source::Url(_))
    }
}

/// The path of an artifact inside a mirror: `<name>/<file name of the upstream URL>`.
pub fn mirror_relative_path(artifact: &Artifact) -> String {
    format!("{}/{}", artifact.name, artifact.file_name())
}

/// The single source of an artifact: the mirror's copy when a mirror is set, otherwise upstream.
pub fn source_for(artifact: &Artifact, mirror: Option<&Mirror>) -> Source {
    match mirror {
        Some(Mirror::Http(base)) => Source::Url(format!("{base}/{}", mirror_relative_path(artifact))),
        Some(Mirror::Dir(dir)) => Source::File(dir.join(mirror_relative_path(artifact))),
        None => match artifact.url.strip_prefix("file://") {
            Some(path) => Source::File(PathBuf::from(path)),
            None => Source::Url(artifact.url.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ArchiveFormat;

    fn artifact(url: &str) -> Artifact {
        Artifact {
            name: "wasi-sdk-24".into(),
            version: "24.0".into(),
            url: url.into(),
            sha256: "0".repeat(64),
            size: None,
            unpacked_size: None,
            host: None,
            component: "wasi-sdk".into(),
            python: vec![],
            strip: None,
            format: ArchiveFormat::TarGz,
            record: None,
            origin: PathBuf::new(),
        }
    }

    const UPSTREAM: &str =
        "https://github.com/WebAssembly/wasi-sdk/releases/download/wasi-sdk-24/wasi-sdk-24.0-x86_64-linux.tar.gz";

    #[test]
    fn mirror_values_are_classified() {
        assert_eq!(Mirror::parse("http://127.0.0.1:8000/m/"), Mirror::Http("http://127.0.0.1:8000/m".into()));
        assert_eq!(Mirror::parse("file:///srv/m"), Mirror::Dir("/srv/m".into()));
        assert_eq!(Mirror::parse("relative/m"), Mirror::Dir("relative/m".into()));
    }

    #[test]
    fn mirror_rewrites_to_name_and_file() {
        let a = artifact(UPSTREAM);
        let mirror = Mirror::parse("https://mirror.example/wasm/");
        assert_eq!(
            source_for(&a, Some(&mirror)),
            Source::Url("https://mirror.example/wasm/wasi-sdk-24/wasi-sdk-24.0-x86_64-linux.tar.gz".into())
        );
        let dir = Mirror::parse("/srv/m");
        assert_eq!(
            source_for(&a, Some(&dir)),
            Source::File("/srv/m/wasi-sdk-24/wasi-sdk-24.0-x86_64-linux.tar.gz".into())
        );
    }

    #[test]
    fn without_mirror_upstream_is_used() {
        assert_eq!(source_for(&artifact(UPSTREAM), None), Source::Url(UPSTREAM.into()));
        assert_eq!(source_for(&artifact("file:///tmp/x.tar.gz"), None), Source::File("/tmp/x.tar.gz".into()));
        assert!(!Source::File("/x".into()).needs_network());
    }
}
