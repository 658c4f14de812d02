//! Unified diffs: parsing (multi-file, `-p1`) and exact, fuzz-free application of hunks.
//!
//! A hunk applies where all its context and removed lines match exactly. The position may shift
//! (an offset, as `patch` allows), the nearest match to the header's line wins, and a hunk never
//! matches before the end of the previous one.

use anyhow::{bail, Context};

use crate::text::printable;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Context(String),
    Remove(String),
    Add(String),
}

#[derive(Debug, Clone)]
pub struct Hunk {
    pub header: String,
    pub old_start: usize,
    pub new_start: usize,
    pub lines: Vec<Line>,
}

impl Hunk {
    /// The lines before the change (context and removed), or after it (context and added).
    fn side(&self, after: bool) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                Line::Context(t) => Some(t.as_str()),
                Line::Remove(t) if !after => Some(t.as_str()),
                Line::Add(t) if after => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct FilePatch {
    /// The path relative to the tree root (`-p1`).
    pub path: String,
    pub creates: bool,
    /// Set on the reverse of a creation: the file is removed.
    pub deletes: bool,
    pub hunks: Vec<Hunk>,
}

#[derive(Debug, Clone)]
pub struct Diff {
    /// Everything before the first file header: the patch's own description.
    pub header: String,
    pub files: Vec<FilePatch>,
}

/// Where and why a hunk did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkFailure {
    pub index: usize,
    pub header: String,
}

impl Diff {
    pub fn parse(text: &str) -> anyhow::Result<Diff> {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let first =
            lines.iter().position(|l| l.starts_with("--- ")).context("no `--- ` file header: not a unified diff")?;
        let header_end = (0..first).rev().find(|&i| lines[i].starts_with("diff ")).unwrap_or(first);
        let header = lines[..header_end].concat();
        let mut files = Vec::new();
        let mut i = first;
        while i < lines.len() {
            if !lines[i].starts_with("--- ") {
                i += 1;
                continue;
            }
            let old = path_of(lines[i], "--- ")?;
            let new = lines.get(i + 1).filter(|l| l.starts_with("+++ ")).context("`--- ` without `+++ `")?;
            let new = path_of(new, "+++ ")?;
            i += 2;
            let mut hunks = Vec::new();
            while i < lines.len() && lines[i].starts_with("@@ ") {
                let (hunk, next) = parse_hunk(&lines, i)?;
                hunks.push(hunk);
                i = next;
            }
            let creates = old == "/dev/null";
            let deletes = new == "/dev/null";
            let path = if creates { new } else { old };
            files.push(FilePatch { path: strip_one(&path)?, creates, deletes, hunks });
        }
        Ok(Diff { header, files })
    }

    /// The same diff, undoing itself.
    pub fn reversed(&self) -> Diff {
        let files = self
            .files
            .iter()
            .map(|f| FilePatch {
                path: f.path.clone(),
                creates: f.deletes,
                deletes: f.creates,
                hunks: f
                    .hunks
                    .iter()
                    .map(|h| Hunk {
                        header: h.header.clone(),
                        old_start: h.new_start,
                        new_start: h.old_start,
                        lines: h
                            .lines
                            .iter()
                            .map(|l| match l {
                                Line::Add(t) => Line::Remove(t.clone()),
                                Line::Remove(t) => Line::Add(t.clone()),
                                Line::Context(t) => Line::Context(t.clone()),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        Diff { header: self.header.clone(), files }
    }
}

fn path_of(line: &str, prefix: &str) -> anyhow::Result<String> {
    let rest = line[prefix.len()..].trim_end_matches(['\n', '\r']);
    let path = rest.split('\t').next().unwrap_or(rest).trim();
    if path.is_empty() {
        bail!("empty path in `{}`", printable(line.trim_end()));
    }
    Ok(path.to_owned())
}

/// `-p1`: drop the first component (`a/`, `b/`).
fn strip_one(path: &str) -> anyhow::Result<String> {
    let (_, rest) = path
        .split_once('/')
        .with_context(|| format!("path `{}` has no leading directory to strip (-p1)", printable(path)))?;
    if rest.split('/').any(|c| c == ".." || c.is_empty()) {
        bail!("unsafe path `{}` in patch", printable(path));
    }
    Ok(rest.to_owned())
}

fn parse_hunk(lines: &[&str], start: usize) -> anyhow::Result<(Hunk, usize)> {
    let header = lines[start].trim_end().to_owned();
    let ranges = header.strip_prefix("@@ ").and_then(|r| r.split(" @@").next()).context("bad hunk header")?;
    let mut parts = ranges.split_whitespace();
    let old = parts
        .next()
        .and_then(|p| p.strip_prefix('-'))
        .with_context(|| format!("bad hunk header `{}`", printable(&header)))?;
    let new = parts
        .next()
        .and_then(|p| p.strip_prefix('+'))
        .with_context(|| format!("bad hunk header `{}`", printable(&header)))?;
    let (old_start, mut old_left) = range(old).with_context(|| format!("bad hunk header `{}`", printable(&header)))?;
    let (new_start, mut new_left) = range(new).with_context(|| format!("bad hunk header `{}`", printable(&header)))?;
    let mut body = Vec::new();
    let mut i = start + 1;
    while (old_left > 0 || new_left > 0) && i < lines.len() {
        let line = lines[i];
        let text = line.get(1..).unwrap_or("\n").to_owned();
        match line.as_bytes().first() {
            Some(b' ') | Some(b'\n') => {
                body.push(Line::Context(if line == "\n" { "\n".to_owned() } else { text }));
                old_left = old_left.saturating_sub(1);
                new_left = new_left.saturating_sub(1);
            }
            Some(b'-') => {
                body.push(Line::Remove(text));
                old_left = old_left.saturating_sub(1);
            }
            Some(b'+') => {
                body.push(Line::Add(text));
                new_left = new_left.saturating_sub(1);
            }
            Some(b'\\') => {}
            _ => bail!("unexpected line {} in hunk `{}`: {}", i + 1, printable(&header), printable(line.trim_end())),
        }
        i += 1;
        // "\ No newline at end of file" refers to the line before it.
        if lines.get(i).is_some_and(|l| l.starts_with('\\')) {
            if let Some(Line::Context(t) | Line::Remove(t) | Line::Add(t)) = body.last_mut() {
                *t = t.trim_end_matches('\n').to_owned();
            }
            i += 1;
        }
    }
    if old_left > 0 || new_left > 0 {
        bail!("hunk `{}` is truncated", printable(&header));
    }
    Ok((Hunk { header, old_start, new_start, lines: body }, i))
}

/// A hunk's `start,count`; numbers past any real file (2^31) are refused, so that no
/// arithmetic on them can overflow.
fn range(text: &str) -> Option<(usize, usize)> {
    let number = |t: &str| t.parse::<u32>().ok().filter(|&n| n < 1 << 31).map(|n| n as usize);
    match text.split_once(',') {
        Some((start, count)) => Some((number(start)?, number(count)?)),
        None => Some((number(text)?, 1)),
    }
}

/// Applies every hunk to `content`; all or nothing.
pub fn apply(content: &str, hunks: &[Hunk]) -> Result<String, HunkFailure> {
    let mut lines: Vec<String> = content.split_inclusive('\n').map(str::to_owned).collect();
    let mut floor = 0usize;
    let mut shift: isize = 0;
    for (index, hunk) in hunks.iter().enumerate() {
        let old = hunk.side(false);
        let new: Vec<String> = hunk.side(true).into_iter().map(str::to_owned).collect();
        let expected = (hunk.old_start.saturating_sub(1) as isize).saturating_add(shift).max(0) as usize;
        let expected = expected.min(lines.len());
        let position = find(&lines, &old, expected, floor)
            .ok_or_else(|| HunkFailure { index: index + 1, header: hunk.header.clone() })?;
        let removed = old.len();
        let added = new.len();
        lines.splice(position..position + removed, new);
        shift += position as isize - expected as isize + added as isize - removed as isize;
        floor = position + added;
    }
    Ok(lines.concat())
}

/// The start of the exact match of `old` nearest to `expected`, not before `floor`.
fn find(lines: &[String], old: &[&str], expected: usize, floor: usize) -> Option<usize> {
    let fits = |at: usize| {
        at >= floor && at + old.len() <= lines.len() && lines[at..at + old.len()].iter().zip(old).all(|(a, b)| a == b)
    };
    if old.is_empty() {
        return Some(expected.clamp(floor, lines.len()));
    }
    (0..=lines.len()).find_map(|distance| {
        let after = expected + distance;
        if fits(after) {
            return Some(after);
        }
        expected.checked_sub(distance).filter(|&before| fits(before))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "What: a test\n\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -2,3 +2,4 @@ int f(void)\n two\n-three\n+THREE\n+three and a half\n four\n";

    #[test]
    fn parses_header_files_and_hunks() {
        let diff = Diff::parse(DIFF).unwrap();
        assert_eq!(diff.header, "What: a test\n\n");
        assert_eq!(diff.files.len(), 1);
        assert_eq!(diff.files[0].path, "x.c");
        let hunk = &diff.files[0].hunks[0];
        assert_eq!((hunk.old_start, hunk.new_start), (2, 2));
        assert_eq!(hunk.lines[1], Line::Remove("three\n".into()));
    }

    #[test]
    fn applies_exactly_and_reverses() {
        let diff = Diff::parse(DIFF).unwrap();
        let before = "one\ntwo\nthree\nfour\nfive\n";
        let after = apply(before, &diff.files[0].hunks).unwrap();
        assert_eq!(after, "one\ntwo\nTHREE\nthree and a half\nfour\nfive\n");
        assert_eq!(apply(&after, &diff.reversed().files[0].hunks).unwrap(), before);
        // Applying again fails: the removed line is gone.
        assert_eq!(apply(&after, &diff.files[0].hunks).unwrap_err().index, 1);
    }

    #[test]
    fn tolerates_an_offset_but_no_fuzz() {
        let diff = Diff::parse(DIFF).unwrap();
        let shifted = "zero\nzero\none\ntwo\nthree\nfour\n";
        assert!(apply(shifted, &diff.files[0].hunks).unwrap().contains("THREE"));
        let changed_context = "one\ntwo\nthree\nFOUR\n";
        assert!(apply(changed_context, &diff.files[0].hunks).is_err());
    }

    /// Line numbers a file cannot have are a parse error, never an overflow.
    #[test]
    fn huge_line_numbers_are_refused_not_overflowed() {
        for header in
            ["@@ -9223372036854775807,3 +2,4 @@", "@@ -2,3 +18446744073709551615,4 @@", "@@ -2,4294967295 +2,4 @@"]
        {
            let text = DIFF.replace("@@ -2,3 +2,4 @@", header);
            assert!(Diff::parse(&text).is_err(), "{header}");
        }
        let near = DIFF.replace("@@ -2,3 +2,4 @@", "@@ -2147483647,3 +2147483647,4 @@");
        let diff = Diff::parse(&near).unwrap();
        assert!(apply("one\ntwo\nthree\nfour\n", &diff.files[0].hunks).unwrap().contains("THREE"));
    }

    /// Thousands of patches made by cutting, repeating and splicing the lines of real ones with
    /// hostile lines: parsing and applying (forward and reversed) returns, never panics.
    #[test]
    fn no_patch_text_makes_the_engine_panic() {
        let pieces = [
            "@@ -0,0 +0,0 @@\n",
            "@@ -1 +1 @@\n",
            "@@ -2147483647,2147483647 +1,1 @@\n",
            "@@ -1,0 +1,2 @@\n",
            "@@ -3,1 +0,0 @@\n",
            "@@ @@\n",
            "@@ -a,b +c,d @@\n",
            "\\ No newline at end of file\n",
            "--- /dev/null\n",
            "+++ /dev/null\n",
            "+++ b/x.c\n",
            "--- a/x.c\n",
            "-\n",
            "+\n",
            " \n",
            "\n",
            "-three\n",
            "+x\n",
            " two\n",
            "diff --git a/x.c b/x.c\n",
            "--- a\n",
            "+++ b\n",
            "-two",
            " four",
            "\u{1b}[2J\n",
        ];
        let base: Vec<&str> = DIFF.split_inclusive('\n').collect();
        let contents = ["", "one\ntwo\nthree\nfour\nfive\n", "two\nthree\nfour", "\n\n\n"];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for _ in 0..5000 {
            let mut lines: Vec<&str> = base.clone();
            for _ in 0..1 + next(4) {
                match next(3) {
                    0 if !lines.is_empty() => {
                        let at = next(lines.len());
                        lines.remove(at);
                    }
                    1 => {
                        let at = next(lines.len() + 1);
                        lines.insert(at, pieces[next(pieces.len())]);
                    }
                    _ => {
                        let at = next(lines.len() + 1);
                        lines.insert(at, base[next(base.len())]);
                    }
                }
            }
            let text = lines.concat();
            if let Ok(diff) = Diff::parse(&text) {
                for file in diff.files.iter().chain(diff.reversed().files.iter()) {
                    for content in contents {
                        let _ = apply(content, &file.hunks);
                    }
                }
            }
        }
    }

    #[test]
    fn refuses_unsafe_paths() {
        let evil = DIFF.replace("a/x.c", "a/../x.c");
        assert!(Diff::parse(&evil).is_err());
    }
}
