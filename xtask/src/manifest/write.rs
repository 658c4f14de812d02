//! Writing entries: the `[[artifact]]` text of an [`Artifact`] (for `mirror export` and `pin`),
//! and replacing or adding one entry in a manifest's text, leaving every other line as it was.

use serde::Serialize;

use super::{Artifact, Manifest, RawArtifact, SCHEMA};

#[derive(Serialize)]
struct Entries<'a> {
    artifact: Vec<Entry<'a>>,
}

#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    version: &'a str,
    url: &'a str,
    sha256: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unpacked_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    component: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    python: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    strip: Option<&'a str>,
    format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<&'a str>,
}

/// The `[[artifact]]` tables of these entries, in order.
pub fn entries_text(artifacts: &[Artifact]) -> String {
    let entries = Entries {
        artifact: artifacts
            .iter()
            .map(|a| Entry {
                name: &a.name,
                version: &a.version,
                url: &a.url,
                sha256: &a.sha256,
                size: a.size,
                unpacked_size: a.unpacked_size,
                host: a.host.as_deref(),
                component: &a.component,
                python: &a.python,
                strip: a.strip.as_deref(),
                format: a.format.name(),
                record: a.record.as_deref(),
            })
            .collect(),
    };
    toml::to_string(&entries).expect("manifest entries serialize")
}

/// `text` (a manifest or overlay; empty for a new file) with `artifact` in place of the entry with
/// the same (name, host), or added at the end. The result is parsed again before it is returned,
/// so what is written is always a valid manifest.
pub fn upsert(text: &str, artifact: &Artifact) -> anyhow::Result<String> {
    let text = if text.trim().is_empty() { format!("schema = {SCHEMA}\n") } else { text.to_owned() };
    let entry = entries_text(std::slice::from_ref(artifact));
    let out = match entry_span(&text, &artifact.name, artifact.host.as_deref()) {
        Some((start, end)) => format!("{}{}{}", &text[..start], entry, &text[end..]),
        None => format!("{}\n{entry}", text.trim_end_matches('\n').to_owned() + "\n"),
    };
    Manifest::parse(&out, &artifact.origin).map_err(|e| anyhow::anyhow!("the updated manifest is not valid: {e}"))?;
    Ok(out)
}

/// The byte range of the entry `(name, host)`: from its `[[artifact]]` line to its last line that
/// is neither blank nor a comment (comments before the next entry belong to that entry).
fn entry_span(text: &str, name: &str, host: Option<&str>) -> Option<(usize, usize)> {
    let starts: Vec<usize> = line_starts(text).filter(|&i| text[i..].starts_with("[[artifact]]")).collect();
    for (k, &start) in starts.iter().enumerate() {
        let limit = starts.get(k + 1).copied().unwrap_or(text.len());
        let mut end = start;
        for i in line_starts(text).filter(|&i| i > start && i < limit) {
            let line = text[i..].lines().next().unwrap_or("").trim();
            if line.starts_with('[') {
                break;
            }
            if !line.is_empty() && !line.starts_with('#') {
                end = i;
            }
        }
        let end = text[end..limit].find('\n').map_or(limit, |n| end + n + 1);
        let block = &text[start..end];
        #[derive(serde::Deserialize)]
        struct One {
            artifact: Vec<RawArtifact>,
        }
        let Ok(one) = toml::from_str::<One>(block) else { continue };
        let Some(raw) = one.artifact.first() else { continue };
        if raw.name.get_ref() == name && raw.host.as_ref().map(|h| h.get_ref().as_str()) == host {
            return Some((start, end));
        }
    }
    None
}

fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(move |&i| i < text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const BASE: &str = "# head\nschema = 1\n\n# zlib's page.\n[[artifact]]\nname = \"zlib\"\nversion = \"1.3\"\nurl = \"https://e.org/zlib-1.3.tar.gz\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n\n# the next one\n[[artifact]]\nname = \"bzip2\"\nversion = \"1\"\nurl = \"https://e.org/bzip2-1.tar.gz\"\nsha256 = \"1111111111111111111111111111111111111111111111111111111111111111\"\n";

    fn one(name: &str, version: &str) -> Artifact {
        let text = format!(
            "schema = 1\n[[artifact]]\nname = \"{name}\"\nversion = \"{version}\"\nurl = \"https://e.org/{name}-{version}.tar.gz\"\nsha256 = \"{}\"\nrecord = \"zlib.net\"\n",
            "2".repeat(64)
        );
        Manifest::parse(&text, Path::new("m.toml")).unwrap().artifacts.remove(0)
    }

    #[test]
    fn an_entry_is_replaced_in_place_and_the_rest_kept_byte_for_byte() {
        let out = upsert(BASE, &one("zlib", "1.3.1")).unwrap();
        assert!(
            out.starts_with("# head\nschema = 1\n\n# zlib's page.\n[[artifact]]\nname = \"zlib\"\nversion = \"1.3.1\"")
        );
        assert!(out.contains("record = \"zlib.net\"\n\n# the next one\n[[artifact]]\nname = \"bzip2\""), "{out}");
        let parsed = Manifest::parse(&out, Path::new("m.toml")).unwrap();
        assert_eq!(parsed.artifacts.len(), 2);
        assert_eq!(parsed.artifacts[0].record.as_deref(), Some("zlib.net"));
    }

    #[test]
    fn a_new_entry_is_added_at_the_end_and_a_new_file_gets_a_schema() {
        let out = upsert(BASE, &one("sqlite", "3.50.4")).unwrap();
        assert!(out.starts_with(BASE));
        assert_eq!(Manifest::parse(&out, Path::new("m.toml")).unwrap().artifacts[2].name, "sqlite");
        let fresh = upsert("", &one("sqlite", "3.50.4")).unwrap();
        assert!(fresh.starts_with("schema = 1\n"));
        // The same pin twice changes nothing.
        assert_eq!(upsert(&out, &one("sqlite", "3.50.4")).unwrap(), out);
    }
}
