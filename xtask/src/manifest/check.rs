//! Checking one raw manifest entry and turning it into an [`Artifact`].

use std::path::Path;

use toml::Spanned;

use super::{ArchiveFormat, Artifact, RawArtifact};

pub(super) type FieldError = (usize, String);

pub(super) fn artifact(raw: RawArtifact, file: &Path) -> Result<Artifact, FieldError> {
    let name = raw.name.get_ref().clone();
    let field_error = |span: std::ops::Range<usize>, field: &str, problem: String| {
        (span.start, format!("artifact `{name}`: field `{field}`: {problem}"))
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return Err(field_error(raw.name.span(), "name", "use letters, digits, `.`, `_` and `-` only".into()));
    }
    // Each of these becomes one component of a path in the cache, a work dir or a mirror.
    let components =
        [("name", &raw.name), ("version", &raw.version)].into_iter().chain(raw.strip.as_ref().map(|s| ("strip", s)));
    for (field, value) in components {
        if let Err(problem) = safe_component(value.get_ref()) {
            return Err(field_error(value.span(), field, problem));
        }
    }
    let sha256 = raw.sha256.get_ref();
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        return Err(field_error(
            raw.sha256.span(),
            "sha256",
            format!("expected 64 lowercase hex digits, got `{sha256}`"),
        ));
    }
    let url = raw.url.get_ref();
    if let Err(problem) = check_url(url).and_then(|()| safe_component(super::url_file_name(url))) {
        return Err(field_error(raw.url.span(), "url", problem));
    }
    let format = match &raw.format {
        Some(f) => ArchiveFormat::from_name(f.get_ref())
            .ok_or_else(|| field_error(f.span(), "format", format!("unknown format `{}`", f.get_ref())))?,
        None => ArchiveFormat::from_file_name(url),
    };
    for line in &raw.python {
        if !is_python_line(line.get_ref()) {
            return Err(field_error(
                line.span(),
                "python",
                format!("expected a line like \"3.13\", got `{}`", line.get_ref()),
            ));
        }
    }
    if let Some(record) = &raw.record {
        let text = record.get_ref();
        if text.len() > 400 || text.chars().any(char::is_control) {
            return Err(field_error(record.span(), "record", "one line of at most 400 bytes".into()));
        }
    }
    Ok(Artifact {
        record: raw.record.map(Spanned::into_inner),
        component: raw.component.map(Spanned::into_inner).unwrap_or_else(|| name.clone()),
        version: raw.version.into_inner(),
        url: url.clone(),
        sha256: sha256.clone(),
        size: raw.size.map(Spanned::into_inner),
        unpacked_size: raw.unpacked_size.map(Spanned::into_inner),
        host: raw.host.map(Spanned::into_inner),
        python: raw.python.into_iter().map(Spanned::into_inner).collect(),
        strip: raw.strip.map(Spanned::into_inner),
        format,
        origin: file.to_owned(),
        name,
    })
}

/// One plain path component: not empty, not `.` or `..`, no `/`, `\\` or control characters.
fn safe_component(value: &str) -> Result<(), String> {
    let shown = crate::text::printable(value);
    if value.is_empty() || value == "." || value == ".." {
        return Err(format!("`{shown}` cannot name a file or directory"));
    }
    if value.len() > 255 || value.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
        return Err(format!(
            "`{shown}` must be a single file name: no `/`, `\\` or control characters, at most 255 bytes"
        ));
    }
    Ok(())
}

/// https everywhere; file:// and plain http to a loopback address are allowed for local mirrors.
/// Redirects are held to the same rule (fetch/mod.rs).
pub fn check_url(url: &str) -> Result<(), String> {
    let url = &crate::text::printable(url);
    if url.starts_with("https://") || url.starts_with("file://") {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = host.rsplit_once(':').map_or(
            host,
            |(h, port)| {
                if port.chars().all(|c| c.is_ascii_digit()) {
                    h
                } else {
                    host
                }
            },
        );
        if matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Ok(());
        }
        return Err(format!("`{url}` is plain http; use https (plain http is allowed only for loopback)"));
    }
    Err(format!("`{url}` is not an https:// or file:// URL"))
}

fn is_python_line(line: &str) -> bool {
    let mut parts = line.split('.');
    matches!((parts.next(), parts.next(), parts.next()), (Some(a), Some(b), None)
        if !a.is_empty() && !b.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()))
}
