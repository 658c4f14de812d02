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

/// A path from outside, printable (bytes that are not UTF-8 are shown as U+FFFD).
pub fn printable_path(path: &Path) -> String {
    printable(&path.to_string_lossy())
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
