//! Text that comes from outside (archive member names, server headers, URLs, file names) made
//! safe to print: control characters are shown escaped, so nothing read from an archive or a
//! server can move the cursor, clear the screen or forge a line on the user's terminal.

use std::fmt::Write;
use std::path::Path;

/// `text` with every control character (and the Unicode bidirectional overrides) escaped.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A message of several lines, each made printable; the line breaks are kept (a log tail).
pub fn printable_lines(text: &str) -> String {
    text.split('\n').map(printable).collect::<Vec<_>>().join("\n")
}

/// An error and its causes, as `{:#}` joins them, made printable: the tool's own messages keep
/// their line breaks (a log tail; their outside parts are already escaped, through
/// [`PathText::shown`] and [`printable`]), while an error from the file system, the network or a
/// parser, which quotes paths, URLs and file contents as they are, is escaped whole.
pub fn error_text(error: &anyhow::Error) -> String {
    let foreign = |cause: &(dyn std::error::Error + 'static)| {
        cause.is::<std::io::Error>()
            || cause.is::<reqwest::Error>()
            || cause.is::<toml::de::Error>()
            || cause.is::<serde_json::Error>()
    };
    let parts: Vec<String> = error
        .chain()
        .map(|cause| match foreign(cause) {
            true => printable(&cause.to_string()),
            false => printable_lines(&cause.to_string()),
        })
        .collect();
    parts.join(": ")
}

/// A path from outside, printable (bytes that are not UTF-8 are shown as U+FFFD).
pub fn printable_path(path: &Path) -> String {
    printable(&path.to_string_lossy())
}

/// The two ways a path becomes text, and the only ones this crate uses (`Path::display` is
/// refused by tests/tidy.rs): `shown` for a message (escaped: a newline or ESC in a path from
/// a flag, a tree or an archive cannot forge a line or move the cursor), `plain` for a value
/// handed to another program (an argument, a variable, a file's contents), unchanged.
pub trait PathText {
    fn shown(&self) -> Shown;
    fn plain(&self) -> String;
}

impl PathText for Path {
    fn shown(&self) -> Shown {
        Shown(printable_path(self))
    }

    #[allow(clippy::disallowed_methods)]
    fn plain(&self) -> String {
        self.to_string_lossy().into_owned()
    }
}

/// A path made printable, for a message.
pub struct Shown(String);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_is_kept() {
        assert_eq!(printable("bin/clang"), "bin/clang");
        assert_eq!(printable("a\x1b[2Jb\nc"), "a\\u{1b}[2Jb\\u{a}c");
        assert_eq!(printable("évian ü"), "évian ü");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(printable_lines("a\n  | \x1b[31mb"), "a\n  | \\u{1b}[31mb");
    }
}
