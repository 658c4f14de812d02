//! Finding a file and what its publisher's record says about it, per component.

use anyhow::{anyhow, bail};

use super::check::Expected;
use super::publishers::{Component, Host};
use super::{records, Located, Publishers};
use crate::toolchains::major;

/// The file's URL and what its publisher's record says about it.
pub fn locate(
    component: Component,
    version: &str,
    host: Option<&Host>,
    emsdk_ref: Option<&str>,
    how: &Publishers,
) -> anyhow::Result<Located> {
    let base = |name: &str| how.bases.get(name).to_owned();
    let read = |url: &str, what: &str| how.record(url, what);
    let host = || host.expect("per-host components have a host");
    Ok(match component {
        Component::Cpython => {
            let file = format!("Python-{version}.tar.xz");
            let file_url = format!("{}/{version}/{file}", base("python"));
            let bundle = format!("{file_url}.sigstore");
            let sha256 = records::sigstore_digest(&read(&bundle, "python.org's Sigstore bundle")?)
                .map_err(|why| anyhow!("python.org's Sigstore bundle {bundle}: {why}"))?;
            Located {
                file_url,
                expected: Expected::Sha256 { sha256, size: None },
                record: format!("python.org {file}.sigstore (the signed digest; the signature is not checked here)"),
                strip: format!("Python-{version}"),
            }
        }
        Component::Emscripten => {
            let host = host();
            let at = emsdk_ref.unwrap_or(version);
            let tags_url = format!("{}/{at}/emscripten-releases-tags.json", base("emsdk"));
            let bzl_url = format!("{}/{at}/bazel/revisions.bzl", base("emsdk"));
            let hash =
                records::emsdk_release_hash(&read(&tags_url, "emsdk's release tags")?, version).map_err(|why| {
                    anyhow!("emsdk's {tags_url}: {why}; name an emsdk tag or commit that has it with --emsdk-ref")
                })?;
            let fields =
                records::emsdk_revision(&read(&bzl_url, "emsdk's bazel/revisions.bzl")?, version).map_err(|why| {
                    anyhow!("emsdk's {bzl_url}: {why}; name an emsdk tag or commit that has it with --emsdk-ref")
                })?;
            let field = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
            if field("hash").as_deref() != Some(hash.as_str()) {
                bail!("emsdk at {at}: emscripten-releases-tags.json names release {hash} for {version} but bazel/revisions.bzl names {}; the records disagree", field("hash").unwrap_or_default());
            }
            let sha256 = field(host.emsdk_key).ok_or_else(|| {
                anyhow!(
                    "emsdk's {bzl_url}: emscripten {version} has no {} (no release for {})",
                    host.emsdk_key,
                    host.name
                )
            })?;
            Located {
                file_url: format!(
                    "{}/{}/{hash}/wasm-binaries{}.tar.xz",
                    base("emscripten-builds"),
                    host.emsdk_dir,
                    host.emsdk_suffix
                ),
                expected: Expected::Sha256 { sha256, size: None },
                record: format!(
                    "emsdk {at}: emscripten-releases-tags.json and bazel/revisions.bzl ({})",
                    host.emsdk_key
                ),
                strip: "install".into(),
            }
        }
        Component::Node => {
            let host = host();
            let stem = format!("node-v{version}-{}", host.node);
            let file = format!("{stem}.{}", host.node_ext);
            let sums_url = format!("{}/v{version}/SHASUMS256.txt", base("nodejs"));
            let sha256 = records::shasums(&read(&sums_url, "Node's SHASUMS256.txt")?, &file)
                .map_err(|why| anyhow!("Node's {sums_url}: {why}"))?;
            Located {
                file_url: format!("{}/v{version}/{file}", base("nodejs")),
                expected: Expected::Sha256 { sha256, size: None },
                record: format!("nodejs.org v{version}/SHASUMS256.txt"),
                strip: stem,
            }
        }
        Component::WasiSdk => {
            let stem = format!("wasi-sdk-{version}-{}", host().wasi_sdk);
            github(
                how,
                "WebAssembly/wasi-sdk",
                &format!("wasi-sdk-{}", major(version)),
                &format!("{stem}.tar.gz"),
                stem,
            )?
        }
        Component::Wasmtime => {
            let stem = format!("wasmtime-v{version}-{}", host().wasmtime);
            github(how, "bytecodealliance/wasmtime", &format!("v{version}"), &format!("{stem}.tar.xz"), stem)?
        }
        Component::Libffi => {
            let stem = format!("libffi-{version}");
            github(how, "libffi/libffi", &format!("v{version}"), &format!("{stem}.tar.gz"), stem)?
        }
        Component::Zlib => {
            let file = format!("zlib-{version}.tar.gz");
            page(
                how,
                &format!("{}/", base("zlib")),
                &file,
                format!("{}/fossils/{file}", base("zlib")),
                "zlib.net's home page",
            )?
        }
        Component::Bzip2 => {
            let file = format!("bzip2-{version}.tar.gz");
            let url = format!("{}/pub/bzip2/{file}", base("sourceware"));
            page(
                how,
                &format!("{}/bzip2/downloads.html", base("sourceware")),
                &file,
                url,
                "sourceware's bzip2 downloads page",
            )?
        }
        Component::Mpdecimal => {
            let file = format!("mpdecimal-{version}.tar.gz");
            let url = format!("{}/software/mpdecimal/releases/{file}", base("bytereef"));
            page(
                how,
                &format!("{}/mpdecimal/download.html", base("bytereef")),
                &file,
                url,
                "bytereef's mpdecimal download page",
            )?
        }
        Component::Sqlite => {
            let page_url = format!("{}/download.html", base("sqlite"));
            let (path, size, sha3) = records::sqlite_product(&read(&page_url, "sqlite.org's download page")?, version)
                .map_err(|why| anyhow!("sqlite.org's {page_url}: {why}"))?;
            let stem = crate::manifest::url_file_name(&path).trim_end_matches(".zip").to_owned();
            Located {
                file_url: format!("{}/{path}", base("sqlite")),
                expected: Expected::Sha3 { sha3, size: Some(size) },
                record:
                    "sqlite.org download.html (SHA3-256 and size of the zip; sha256 measured on the bytes that matched)"
                        .into(),
                strip: stem,
            }
        }
    })
}

/// A GitHub release asset and the digest the release API reports for it.
fn github(how: &Publishers, repo: &str, tag: &str, file: &str, strip: String) -> anyhow::Result<Located> {
    let api = format!("{}/repos/{repo}/releases/tags/{tag}", how.bases.get("github-api"));
    let asset = records::release_asset(&how.record(&api, "the GitHub release")?, file)
        .map_err(|why| anyhow!("GitHub release {repo} {tag} ({api}): {why}"))?;
    let (expected, record) = match asset.sha256 {
        Some(sha256) => (
            Expected::Sha256 { sha256, size: Some(asset.size) },
            format!("GitHub release API {repo} {tag}: asset digest"),
        ),
        None => (
            Expected::Unrecorded {
                why: format!("GitHub reports no digest for {file} in {repo} {tag} (assets uploaded before mid-2025 have none)"),
                size: Some(asset.size),
            },
            format!("no publisher record: sha256 measured by `cargo xtask pin --trust-download` (GitHub reports no digest for {repo} {tag} {file})"),
        ),
    };
    Ok(Located { file_url: asset.url, expected, record, strip })
}

/// A file whose SHA-256 a download page gives beside its name.
fn page(how: &Publishers, page_url: &str, file: &str, file_url: String, what: &str) -> anyhow::Result<Located> {
    let sha256 =
        records::page_sha256(&how.record(page_url, what)?, file).map_err(|why| anyhow!("{what} {page_url}: {why}"))?;
    Ok(Located {
        file_url,
        expected: Expected::Sha256 { sha256, size: None },
        record: format!("{what} ({page_url})"),
        strip: file.trim_end_matches(".tar.gz").to_owned(),
    })
}
