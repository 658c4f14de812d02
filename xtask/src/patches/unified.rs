//! Writing unified diffs: the hunks that turn one text into another, with three lines of context,
//! for `patch --refresh`.
//!
//! The common head and tail are trimmed first (a patch changes a few places in a large file), and
//! the rest is aligned by a longest-common-subsequence table. A middle too large for the table is
//! refused rather than diffed slowly.

const CONTEXT: usize = 3;
const LARGEST_TABLE: usize = 40_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Remove,
    Add,
}

/// The `--- a/PATH` / `+++ b/PATH` section turning `old` into `new`, or `None` when they are equal.
pub fn file_diff(path: &str, old: &str, new: &str) -> anyhow::Result<Option<String>> {
    if old == new {
        return Ok(None);
    }
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let new: Vec<&str> = new.split_inclusive('\n').collect();
    if old.iter().chain(&new).any(|line| !line.ends_with('\n')) {
        anyhow::bail!(
            "{}: a line without a final newline; refresh writes only files that end with one",
            crate::text::printable(path)
        );
    }
    let ops = script(&old, &new, path)?;
    let mut text = format!("--- a/{path}\n+++ b/{path}\n");
    for hunk in hunks(&ops) {
        text.push_str(&render(&ops[hunk.0..hunk.1], &old, &new, position(&ops, hunk.0)));
    }
    Ok(Some(text))
}

/// The edit script, one op per line of old and new.
fn script(old: &[&str], new: &[&str], path: &str) -> anyhow::Result<Vec<Op>> {
    let head = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let tail = old[head..].iter().rev().zip(new[head..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (a, b) = (&old[head..old.len() - tail], &new[head..new.len() - tail]);
    if (a.len() + 1) * (b.len() + 1) > LARGEST_TABLE {
        anyhow::bail!(
            "{}: {} and {} differing lines are too many to diff; split the change or edit the patch by hand",
            crate::text::printable(path),
            a.len(),
            b.len()
        );
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let mut ops = vec![Op::Same; head];
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push(Op::Same);
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
            // Removals before additions, as diff writes them.
            ops.push(Op::Remove);
            i += 1;
        } else {
            ops.push(Op::Add);
            j += 1;
        }
    }
    ops.extend(std::iter::repeat_n(Op::Same, tail));
    Ok(ops)
}

/// Op ranges of the hunks: each change with its context; changes closer than twice the context
/// share a hunk.
fn hunks(ops: &[Op]) -> Vec<(usize, usize)> {
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k] != Op::Same).collect();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for k in changed {
        let start = k.saturating_sub(CONTEXT);
        let end = (k + 1 + CONTEXT).min(ops.len());
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => out.push((start, end)),
        }
    }
    out
}

/// The old and new line index at op `at`.
fn position(ops: &[Op], at: usize) -> (usize, usize) {
    let old = ops[..at].iter().filter(|&&op| op != Op::Add).count();
    let new = ops[..at].iter().filter(|&&op| op != Op::Remove).count();
    (old, new)
}

fn render(ops: &[Op], old: &[&str], new: &[&str], (mut i, mut j): (usize, usize)) -> String {
    let old_count = ops.iter().filter(|&&op| op != Op::Add).count();
    let new_count = ops.iter().filter(|&&op| op != Op::Remove).count();
    // A side with no lines is numbered by the line before it, as diff does.
    let start = |index: usize, count: usize| if count == 0 { index } else { index + 1 };
    let mut text = format!("@@ -{},{old_count} +{},{new_count} @@\n", start(i, old_count), start(j, new_count));
    for op in ops {
        match op {
            Op::Same => {
                text.push(' ');
                text.push_str(old[i]);
                (i, j) = (i + 1, j + 1);
            }
            Op::Remove => {
                text.push('-');
                text.push_str(old[i]);
                i += 1;
            }
            Op::Add => {
                text.push('+');
                text.push_str(new[j]);
                j += 1;
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::diff::{apply, Diff};
    use super::*;

    fn numbered(range: std::ops::Range<usize>) -> String {
        range.map(|n| format!("line {n}\n")).collect()
    }

    fn round_trip(old: &str, new: &str) -> String {
        let text = file_diff("x.c", old, new).unwrap().unwrap();
        let diff = Diff::parse(&text).unwrap();
        assert_eq!(apply(old, &diff.files[0].hunks).unwrap(), new, "{text}");
        assert_eq!(apply(new, &diff.reversed().files[0].hunks).unwrap(), old, "{text}");
        text
    }

    #[test]
    fn writes_minimal_hunks_that_apply_both_ways() {
        let old = numbered(1..41);
        let new = old.replace("line 10\n", "line ten\n").replace("line 30\n", "line 30\nline 30.5\n");
        let text = round_trip(&old, &new);
        assert!(text.contains("@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+line ten\n"), "{text}");
        assert!(text.contains("@@ -28,6 +28,7 @@\n line 28\n line 29\n line 30\n+line 30.5\n line 31\n"), "{text}");
        assert_eq!(text.matches("@@ -").count(), 2);
    }

    #[test]
    fn nearby_changes_share_a_hunk_and_edges_work() {
        let old = numbered(1..21);
        let near = old.replace("line 5\n", "five\n").replace("line 9\n", "nine\n");
        assert_eq!(round_trip(&old, &near).matches("@@ -").count(), 1);
        round_trip(&old, &format!("first\n{old}"));
        round_trip(&old, &format!("{old}last\n"));
        round_trip(&old, &old.replace("line 1\n", ""));
        round_trip("", "new file\n");
        assert!(file_diff("x.c", &old, &old).unwrap().is_none());
    }
}
