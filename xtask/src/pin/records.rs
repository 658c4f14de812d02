//! Reading each publisher's own checksum record: pure functions over the text a publisher serves,
//! each returning what the record says about one file, or why it says nothing.

use serde::Deserialize;

/// emsdk's `emscripten-releases-tags.json`: the emscripten-releases build hash of a version.
pub fn emsdk_release_hash(json: &str, version: &str) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Tags {
        releases: std::collections::BTreeMap<String, String>,
    }
    let tags: Tags = serde_json::from_str(json).map_err(|e| format!("not emsdk's tags file: {e}"))?;
    let hash = tags.releases.get(version).ok_or_else(|| format!("it has no emscripten {version}"))?;
    check_hex(hash, 40).map(|()| hash.clone())
}

/// emsdk's `bazel/revisions.bzl`: the `struct(...)` of a version, as (key, value) pairs (`hash`,
/// `sha_linux`, `sha_linux_arm64`, `sha_mac`, `sha_mac_arm64`, `sha_win`).
pub fn emsdk_revision(bzl: &str, version: &str) -> Result<Vec<(String, String)>, String> {
    let opening = format!("\"{version}\": struct(");
    let start = bzl.find(&opening).ok_or_else(|| format!("it has no emscripten {version}"))? + opening.len();
    let body = &bzl[start..];
    let body = &body[..body.find(')').ok_or("its entry is not closed")?];
    let pairs = body
        .split(',')
        .filter_map(|field| {
            let (key, value) = field.split_once('=')?;
            Some((key.trim().to_owned(), value.trim().trim_matches('"').to_owned()))
        })
        .collect();
    Ok(pairs)
}

/// A `SHASUMS256.txt` (`<sha256>  <file>` per line): the sha256 of `file`.
pub fn shasums(text: &str, file: &str) -> Result<String, String> {
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        if let (Some(sha), Some(name), None) = (parts.next(), parts.next(), parts.next()) {
            if name.trim_start_matches('*') == file {
                let sha = sha.to_ascii_lowercase();
                return check_hex(&sha, 64).map(|()| sha);
            }
        }
    }
    Err(format!("it lists no {file}"))
}

/// One asset of a GitHub release as the REST API describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    pub url: String,
    pub size: u64,
    /// `None` for assets uploaded before GitHub recorded digests (mid-2025).
    pub sha256: Option<String>,
}

/// A GitHub release (`GET /repos/OWNER/REPO/releases/tags/TAG`): the asset named `file`.
pub fn release_asset(json: &str, file: &str) -> Result<Asset, String> {
    #[derive(Deserialize)]
    struct Release {
        assets: Vec<RawAsset>,
    }
    #[derive(Deserialize)]
    struct RawAsset {
        name: String,
        size: u64,
        browser_download_url: String,
        digest: Option<String>,
    }
    let release: Release = serde_json::from_str(json).map_err(|e| format!("not a GitHub release: {e}"))?;
    let asset = release.assets.into_iter().find(|a| a.name == file).ok_or_else(|| format!("it has no asset {file}"))?;
    // The download URL comes from the server: https (or loopback http) only, and the asset's own
    // file name, so a response cannot point the download at a local file or another name.
    crate::manifest::check_url(&asset.browser_download_url)
        .and_then(|()| match asset.browser_download_url.starts_with("file:") {
            true => Err("a file:// URL".into()),
            false => Ok(()),
        })
        .map_err(|why| format!("its download URL for {file} is refused: {why}"))?;
    if crate::manifest::url_file_name(&asset.browser_download_url) != file {
        return Err(format!("its download URL for {file} names another file"));
    }
    let sha256 = match asset.digest {
        Some(digest) => {
            let sha = digest.strip_prefix("sha256:").ok_or_else(|| format!("its digest `{digest}` is not sha256"))?;
            check_hex(sha, 64)?;
            Some(sha.to_owned())
        }
        None => None,
    };
    Ok(Asset { url: asset.browser_download_url, size: asset.size, sha256 })
}

/// A Sigstore bundle (python.org's `FILE.sigstore`): the SHA2-256 digest the release manager
/// signed. The signature itself is not checked here.
pub fn sigstore_digest(json: &str) -> Result<String, String> {
    let bundle: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
    let digest = &bundle["messageSignature"]["messageDigest"];
    if digest["algorithm"].as_str() != Some("SHA2_256") {
        return Err("its messageDigest is not SHA2_256".into());
    }
    let encoded = digest["digest"].as_str().ok_or("it has no messageDigest")?;
    let bytes = base64(encoded).ok_or("its digest is not base64")?;
    if bytes.len() != 32 {
        return Err("its digest is not 32 bytes".into());
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A download page that names the file and then its SHA-256 (zlib.net, sourceware's bzip2 page,
/// bytereef's mpdecimal page): the first 64-hex-digit word within 600 bytes after the file's name.
pub fn page_sha256(html: &str, file: &str) -> Result<String, String> {
    let mut from = 0;
    while let Some(at) = html[from..].find(file) {
        let after = from + at + file.len();
        let window = &html[after..html.len().min(after + 600)];
        let window = &window[..window.find(file).unwrap_or(window.len())];
        let words = window.split(|c: char| !c.is_ascii_hexdigit());
        if let Some(sha) = words.into_iter().find(|w| w.len() == 64) {
            return Ok(sha.to_ascii_lowercase());
        }
        from = after;
    }
    Err(format!("it gives no SHA-256 after {file}"))
}

/// sqlite.org's download page: the machine-readable `PRODUCT,VERSION,PATH,SIZE,SHA3-256` lines.
/// Returns (path under sqlite.org, size, sha3-256) of the amalgamation zip of `version`.
pub fn sqlite_product(html: &str, version: &str) -> Result<(String, u64, String), String> {
    for line in html.lines() {
        let fields: Vec<&str> = line.trim().split(',').collect();
        if let ["PRODUCT", v, path, size, sha3] = fields[..] {
            if v == version && path.contains("sqlite-amalgamation-") && path.ends_with(".zip") {
                let (year, file) = path.split_once('/').unwrap_or(("", path));
                let plain = |s: &str, extra: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
                if year.len() != 4 || !plain(year, "") || !plain(file, "-.") || file.starts_with('.') {
                    return Err(format!(
                        "its path `{}` is not YEAR/sqlite-amalgamation-N.zip",
                        crate::text::printable(path)
                    ));
                }
                let size = size.parse().map_err(|_| format!("its size `{size}` is not a number"))?;
                check_hex(sha3, 64)?;
                return Ok((path.to_owned(), size, sha3.to_ascii_lowercase()));
            }
        }
    }
    Err(format!("it lists no amalgamation zip of {version} (the page lists the current release only)"))
}

fn check_hex(value: &str, len: usize) -> Result<(), String> {
    match value.len() == len && value.chars().all(|c| c.is_ascii_hexdigit()) {
        true => Ok(()),
        false => Err(format!("`{}` is not {len} hex digits", crate::text::printable(value))),
    }
}

fn base64(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        acc = (acc << 6) | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// emsdk at tag 6.0.8 (commit e5bd3d0), the head of these two files for 6.0.8.
    const TAGS: &str = r#"{"aliases": {"latest": "6.0.8"}, "releases": {"6.0.8": "9d70dbe8860ccdd3595f6e6065d94bfb543ae955", "6.0.8-asserts": "1aa74b7a00d9a0ac2542e2bbb2f4d4a3633f1092"}}"#;
    const BZL: &str = "EMSCRIPTEN_TAGS = {\n    \"6.0.8\": struct(\n        hash = \"9d70dbe8860ccdd3595f6e6065d94bfb543ae955\",\n        sha_linux = \"9bea769c189d9f52196e74283fb86937318cc24bf14879f2c6bdd19862131901\",\n        sha_linux_arm64 = \"02c44b96288770ad9622fd7f237ea3d2579ed6be4cfd29ceb1adcbd24239f3b3\",\n    ),\n}\n";

    #[test]
    fn emsdk_records() {
        assert_eq!(emsdk_release_hash(TAGS, "6.0.8").unwrap(), "9d70dbe8860ccdd3595f6e6065d94bfb543ae955");
        assert!(emsdk_release_hash(TAGS, "6.0.10").unwrap_err().contains("no emscripten 6.0.10"));
        let fields = emsdk_revision(BZL, "6.0.8").unwrap();
        assert!(fields.contains(&(
            "sha_linux_arm64".into(),
            "02c44b96288770ad9622fd7f237ea3d2579ed6be4cfd29ceb1adcbd24239f3b3".into()
        )));
        assert!(emsdk_revision(BZL, "6.0.7").is_err());
    }

    #[test]
    fn shasums_and_release_api_and_sigstore() {
        let sums = "01443c1e1a29e531ccad5a46fefa6df490d2189c49f7955904aecdbb0fe86fdc  node-v24.19.0-linux-arm64.tar.xz\n14b342e71204f811bde6153be8e04b62aef63c236fef92b55f9c83154b409647  node-v24.19.0-linux-x64.tar.xz\n";
        assert_eq!(&shasums(sums, "node-v24.19.0-linux-x64.tar.xz").unwrap()[..8], "14b342e7");
        assert!(shasums(sums, "node-v24.19.0-linux-x64.tar.gz").is_err());
        let api = r#"{"tag_name": "v49.0.1", "assets": [{"name": "a.tar.xz", "size": 10, "browser_download_url": "https://e.org/a.tar.xz", "digest": "sha256:c71f7e0d30a92e418f0d17db7c6d8f6664c1ad764340a1278678f4209deab534"}, {"name": "b.tar.xz", "size": 5, "browser_download_url": "https://e.org/b.tar.xz", "digest": null}]}"#;
        assert_eq!(release_asset(api, "a.tar.xz").unwrap().sha256.unwrap()[..8], *"c71f7e0d");
        assert_eq!(release_asset(api, "b.tar.xz").unwrap().sha256, None);
        assert!(release_asset(api, "c.tar.xz").unwrap_err().contains("no asset c.tar.xz"));
        // A response may not send the download elsewhere.
        for (url, why) in [
            ("file:///etc/shadow", "refused"),
            ("http://example.org/a.tar.xz", "refused"),
            ("https://e.org/other", "another file"),
        ] {
            let hostile = api.replace("https://e.org/a.tar.xz", url);
            assert!(release_asset(&hostile, "a.tar.xz").unwrap_err().contains(why), "{url}");
        }
        // The digest of an empty file, base64 as Sigstore writes it.
        let bundle = r#"{"messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}}"#;
        assert_eq!(
            sigstore_digest(bundle).unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn pages() {
        let zlib = "<A HREF=\"zlib-1.3.1.tar.gz\">zlib-1.3.1.tar.gz</A> (1598K, SHA-256 hash <tt>9a93b2b7dfdac77ceba5a558a580e74667dd6fede4585b91eefb60f03b72df23</tt>)";
        assert_eq!(&page_sha256(zlib, "zlib-1.3.1.tar.gz").unwrap()[..8], "9a93b2b7");
        assert!(page_sha256(zlib, "zlib-1.3.tar.gz").is_err());
        let sqlite = "<!-- Download product data for scripts to read\nPRODUCT,3.50.4,2025/sqlite-amalgamation-3500400.zip,2874431,aa\nPRODUCT,3.50.4,2025/sqlite-amalgamation-3500400.zip,2874431,1d3049dd0f830a025a53105fc79fd2ab9431aea99e137809d064d8ee8356b032\n-->";
        // A malformed line is an error, not skipped.
        assert!(sqlite_product(sqlite, "3.50.4").unwrap_err().contains("not 64 hex digits"));
        let good = sqlite.replace("PRODUCT,3.50.4,2025/sqlite-amalgamation-3500400.zip,2874431,aa\n", "");
        assert_eq!(
            sqlite_product(&good, "3.50.4").unwrap(),
            (
                "2025/sqlite-amalgamation-3500400.zip".into(),
                2874431,
                "1d3049dd0f830a025a53105fc79fd2ab9431aea99e137809d064d8ee8356b032".into()
            )
        );
        assert!(sqlite_product(&good, "3.51.0").is_err());
        let hostile = good.replace("2025/sqlite-amalgamation", "../../sqlite-amalgamation");
        assert!(sqlite_product(&hostile, "3.50.4").unwrap_err().contains("is not YEAR/"));
    }
}
