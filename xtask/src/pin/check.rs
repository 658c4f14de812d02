//! Reading records and checking a file against one: the file is downloaded once; nothing is
//! trusted that its record does not confirm (or `--trust-download` accepts, and says so).

use std::io::Read;

use anyhow::{anyhow, bail, Context};
use reqwest::blocking::Client;
use sha2::{Digest, Sha256};
use sha3::Sha3_256;

use super::{Located, Publishers};
use crate::fetch::download::error_chain;
use crate::files::hex;
use crate::manifest::{ArchiveFormat, Artifact};
use crate::text::printable;

/// What a record says a file must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Sha256 {
        sha256: String,
        size: Option<u64>,
    },
    /// sqlite.org publishes SHA3-256.
    Sha3 {
        sha3: String,
        size: Option<u64>,
    },
    /// The publisher gives no checksum for this file.
    Unrecorded {
        why: String,
        size: Option<u64>,
    },
}

/// The most a record may be: records are small text files and pages.
const RECORD_LIMIT: u64 = 16 << 20;

/// The text of a record; errors name it and its URL.
pub fn read_record(client: &Client, url: &str, what: &str) -> anyhow::Result<String> {
    let fail = |why: String| {
        anyhow!("cannot read {what} at {}: {why}; check the network and proxy (HTTPS_PROXY), or point --record-base at a copy of the publisher's records", printable(url))
    };
    let response = client.get(url).send().map_err(|e| fail(error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("HTTP {status}")));
    }
    let mut body = Vec::new();
    response.take(RECORD_LIMIT + 1).read_to_end(&mut body).map_err(|e| fail(error_chain(&e)))?;
    if body.len() as u64 > RECORD_LIMIT {
        return Err(fail(format!("more than {RECORD_LIMIT} bytes; not a checksum record")));
    }
    String::from_utf8(body).map_err(|_| fail("not UTF-8 text".into()))
}

/// Downloads the file once and checks it against its record. Returns its sha256, its size and the
/// record's description for the entry.
pub fn verified(
    located: &Located,
    name: &str,
    version: &str,
    how: &Publishers,
) -> anyhow::Result<(String, u64, String)> {
    let url = &located.file_url;
    match &located.expected {
        Expected::Sha256 { sha256, size } => {
            let artifact = Artifact {
                name: name.to_owned(),
                version: version.to_owned(),
                url: url.clone(),
                sha256: sha256.clone(),
                size: *size,
                unpacked_size: None,
                host: None,
                component: name.to_owned(),
                python: vec![],
                strip: None,
                format: ArchiveFormat::File,
                record: None,
                origin: Default::default(),
            };
            let fetched = how.fetcher.fetch(&artifact).with_context(|| {
                format!("fetching the file and checking it against its record ({})", located.record)
            })?;
            let size = std::fs::metadata(&fetched.path)?.len();
            Ok((sha256.clone(), size, located.record.clone()))
        }
        Expected::Sha3 { sha3, size } => {
            let (sha256, measured_sha3, measured) = measure(how.client, url)?;
            if &measured_sha3 != sha3 || size.is_some_and(|s| s != measured) {
                bail!(
                    "{} is {measured} bytes with SHA3-256 {measured_sha3}, but its record ({}) says {} bytes, {sha3}; the record and the file disagree",
                    printable(url),
                    located.record,
                    size.map_or("any".into(), |s| s.to_string())
                );
            }
            Ok((sha256, measured, located.record.clone()))
        }
        Expected::Unrecorded { why, size } => {
            if !how.trust_download {
                bail!("{why}; refused: pass --trust-download to pin the bytes as downloaded (the entry then records that its sha256 is this tool's own measurement, not the publisher's)");
            }
            let (sha256, _, measured) = measure(how.client, url)?;
            if size.is_some_and(|s| s != measured) {
                bail!("{} is {measured} bytes, but the release says {}", printable(url), size.unwrap_or(0));
            }
            Ok((sha256, measured, located.record.clone()))
        }
    }
}

/// Streams a file: its sha256, SHA3-256 and size.
fn measure(client: &Client, url: &str) -> anyhow::Result<(String, String, u64)> {
    let fail = |why: String| anyhow!("download {}: {why}", printable(url));
    let mut response = client.get(url).send().map_err(|e| fail(error_chain(&e)))?;
    if !response.status().is_success() {
        return Err(fail(format!("HTTP {}", response.status())));
    }
    let (mut sha256, mut sha3, mut size) = (Sha256::new(), Sha3_256::new(), 0u64);
    let mut buffer = vec![0; 1 << 16];
    loop {
        let n = response.read(&mut buffer).map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            break;
        }
        sha256.update(&buffer[..n]);
        sha3.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hex(&sha256.finalize()), hex(&sha3.finalize()), size))
}
