//! The pins a CPython tree carries for its own WebAssembly builds (3.14 and later; a release
//! tarball has them as a checkout does): `Platforms/WASI/config.toml` names the WASI SDK major
//! version, `Platforms/emscripten/config.toml` the emscripten version, the Node major version
//! and the libffi and mpdecimal sources (url, version, sha256).

use std::path::Path;

use crate::text::PathText;
use anyhow::Context;
use fs_err as fs;

/// What the tree pins; empty for a line that pins nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreePins {
    pub wasi_sdk: Option<String>,
    pub emscripten: Option<String>,
    pub node_major: Option<String>,
    pub libraries: Vec<LibraryPin>,
}

/// A dependency source as the tree pins it, by manifest component (`libffi`, `mpdecimal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryPin {
    pub component: String,
    pub version: String,
    pub url: String,
    pub sha256: String,
}

const WASI_CONFIG: &str = "Platforms/WASI/config.toml";
const EMSCRIPTEN_CONFIG: &str = "Platforms/emscripten/config.toml";

pub fn read(root: &Path) -> anyhow::Result<TreePins> {
    // A tree is outside input: its config files are read only if regular, and bounded.
    let text = |relative: &str| crate::files::read_text_regular(&root.join(relative), super::TREE_TEXT_LIMIT);
    from_texts(text(WASI_CONFIG)?, text(EMSCRIPTEN_CONFIG)?, root)
}

/// What a release tarball's tree pins, read from the (verified) archive without extracting it.
pub fn read_archive(archive: &Path, format: crate::manifest::ArchiveFormat, top: &str) -> anyhow::Result<TreePins> {
    use crate::manifest::ArchiveFormat;
    use std::io::Read;
    let file = fs::File::open(archive)?;
    let reader: Box<dyn Read> = match format {
        ArchiveFormat::TarXz => Box::new(xz2::read::XzDecoder::new(file)),
        ArchiveFormat::TarGz => Box::new(flate2::read::GzDecoder::new(file)),
        ArchiveFormat::TarBz2 => Box::new(bzip2::read::BzDecoder::new(file)),
        other => anyhow::bail!("{}: a CPython release is a tarball, not {}", archive.shown(), other.name()),
    };
    let (mut wasi, mut em) = (None, None);
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().with_context(|| format!("read {}", archive.shown()))? {
        let entry = entry.with_context(|| format!("read {}", archive.shown()))?;
        let path = entry.path()?.to_string_lossy().into_owned();
        let Some(relative) = path.strip_prefix(top).and_then(|p| p.strip_prefix('/')) else { continue };
        let slot = match relative {
            WASI_CONFIG => &mut wasi,
            EMSCRIPTEN_CONFIG => &mut em,
            _ => continue,
        };
        let mut text = String::new();
        entry
            .take(super::TREE_TEXT_LIMIT)
            .read_to_string(&mut text)
            .with_context(|| format!("read {relative} in {}", archive.shown()))?;
        *slot = Some(text);
    }
    from_texts(wasi, em, archive)
}

fn from_texts(wasi: Option<String>, em: Option<String>, whence: &Path) -> anyhow::Result<TreePins> {
    let parse = |text: Option<String>, relative: &str| -> anyhow::Result<Option<toml::Value>> {
        text.map(|t| toml::from_str(&t).with_context(|| format!("parse {relative} in {}", whence.shown()))).transpose()
    };
    let mut pins = TreePins::default();
    if let Some(wasi) = parse(wasi, WASI_CONFIG)? {
        pins.wasi_sdk = wasi.get("targets").and_then(|t| t.get("wasi-sdk")).and_then(as_text);
    }
    if let Some(em) = parse(em, EMSCRIPTEN_CONFIG)? {
        pins.emscripten = em.get("emscripten-version").and_then(as_text);
        pins.node_major = em.get("node-version").and_then(as_text);
        let deps = em.get("dependencies").and_then(toml::Value::as_table);
        for (key, component) in [("libffi", "libffi"), ("mpdec", "mpdecimal")] {
            let Some(entry) = deps.and_then(|d| d.get(key)) else { continue };
            let field = |name: &str| entry.get(name).and_then(as_text).unwrap_or_default();
            let version = field("version");
            pins.libraries.push(LibraryPin {
                component: component.into(),
                url: field("url").replace("{version}", &version),
                sha256: field("shasum").to_ascii_lowercase(),
                version,
            });
        }
    }
    check(&pins, whence)?;
    Ok(pins)
}

/// Every pin read from a tree is a plain version (and a library's URL and sha256 plain text):
/// these strings reach messages and the manifest, and a tree is outside text.
fn check(pins: &TreePins, whence: &Path) -> anyhow::Result<()> {
    let version =
        |v: &str| !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || ".-+_".contains(c));
    let mut fields: Vec<(&str, &str, bool)> = Vec::new();
    for (name, value) in
        [("wasi-sdk", &pins.wasi_sdk), ("emscripten-version", &pins.emscripten), ("node-version", &pins.node_major)]
    {
        if let Some(value) = value {
            fields.push((name, value, version(value)));
        }
    }
    for library in &pins.libraries {
        fields.push((&library.component, &library.version, version(&library.version)));
        let url = library.url.chars().all(|c| c.is_ascii_graphic());
        fields.push((&library.component, &library.url, url));
        fields.push((&library.component, &library.sha256, library.sha256.chars().all(|c| c.is_ascii_hexdigit())));
    }
    match fields.iter().find(|(_, _, fine)| !fine) {
        Some((name, value, _)) => anyhow::bail!(
            "{} pins {name} as \"{}\", which is not a plain version, URL or sha256 (Platforms/*/config.toml): fix the tree's pin",
            whence.shown(),
            crate::text::printable(value)
        ),
        None => Ok(()),
    }
}

/// A string or an integer (`wasi-sdk = 33`, `node-version = "24"`) as text.
fn as_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_config_files_as_cpython_writes_them() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("Platforms/WASI")).unwrap();
        fs::create_dir_all(dir.path().join("Platforms/emscripten")).unwrap();
        fs::write(
            dir.path().join("Platforms/WASI/config.toml"),
            "[targets]\nwasi-sdk = 33\nhost-triple = \"wasm32-wasip1\"\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("Platforms/emscripten/config.toml"),
            "emscripten-version = \"4.0.19\"\nnode-version = \"24\"\ntest-args = [\"-m\", \"test\"]\n\n\
             [dependencies.libffi]\nurl = \"https://example.org/v{version}/libffi-{version}.tar.gz\"\nversion = \"3.4.6\"\nshasum = \"B0DE\"\n\n\
             [dependencies.mpdec]\nurl = \"https://example.org/mpdecimal-{version}.tar.gz\"\nversion = \"4.0.1\"\nshasum = \"96d3\"\n",
        )
        .unwrap();
        let pins = read(dir.path()).unwrap();
        assert_eq!(pins.wasi_sdk.as_deref(), Some("33"));
        assert_eq!(pins.emscripten.as_deref(), Some("4.0.19"));
        assert_eq!(pins.node_major.as_deref(), Some("24"));
        assert_eq!(pins.libraries[0].url, "https://example.org/v3.4.6/libffi-3.4.6.tar.gz");
        assert_eq!((pins.libraries[0].component.as_str(), pins.libraries[0].sha256.as_str()), ("libffi", "b0de"));
        assert_eq!(pins.libraries[1].component, "mpdecimal");
        assert_eq!(read(&dir.path().join("nothing")).unwrap(), TreePins::default());
        fs::write(dir.path().join("Platforms/WASI/config.toml"), "[targets\n").unwrap();
        assert!(read(dir.path()).unwrap_err().to_string().contains("parse"));
    }
}
