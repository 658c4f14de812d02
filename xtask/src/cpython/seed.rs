//! Seeded configure: what a configure found is kept in the tool's cache
//! (`CACHE/configure/<key>.cache`, autoconf's own `config.cache` with every host directory a
//! placeholder) and given to the next configure with the same inputs, in any work dir, through
//! `-C`. Most of configure's checks are then answered from the cache instead of by compiling,
//! linking or running a test program.
//!
//! The key covers what decides the answers: the step's key parts with host directories in their
//! stable names (so the source's identity, the toolchain's, the environment, the arguments and
//! the libraries), the configure script and the config.site as bytes, and for the build Python
//! the host compiler's `--version`. A seed that cannot be read is a cold configure, never a
//! failure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::stamp;
use crate::files::{read_regular, sha256_reader, write_atomic};
use crate::workdir::PathMap;

/// The seeds of one build: where they are kept and how its directories map.
#[derive(Clone)]
pub struct Seeds<'a> {
    pub dir: PathBuf,
    pub paths: &'a PathMap,
}

/// The largest config.cache planted (CPython's is about 40 KB).
const SEED_LIMIT: u64 = 4 << 20;

impl Seeds<'_> {
    /// The seed key of a configure step: `parts` are its step key's, `files` what it reads from
    /// the tree (configure, the config.site), `more` any further identity (the host compiler).
    pub fn key(&self, parts: &[String], files: &[&Path], more: &str) -> anyhow::Result<String> {
        let mut all: Vec<String> = parts.iter().map(|part| self.paths.rewrite(part)).collect();
        for file in files {
            let digest = match read_regular(file, 64 << 20)? {
                Some(bytes) => sha256_reader(&mut bytes.as_slice())?,
                None => "absent".into(),
            };
            all.push(digest);
        }
        all.push(more.to_owned());
        Ok(stamp::key(all))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.cache"))
    }

    /// Writes the seed for `key` as `build/config.cache`, in this build's directories; whether
    /// there was one.
    pub fn plant(&self, key: &str, build: &Path) -> anyhow::Result<bool> {
        let Ok(Some(bytes)) = read_regular(&self.path(key), SEED_LIMIT) else { return Ok(false) };
        let Ok(text) = String::from_utf8(bytes) else { return Ok(false) };
        write_atomic(&build.join("config.cache"), self.paths.resolve_placeholders(&text))?;
        Ok(true)
    }

    /// Keeps what configure wrote into `build/config.cache` as the seed for `key`, less the
    /// answers `configure` (the script that wrote them) would not give the same way from a
    /// cache ([`unsafe_answers`]).
    pub fn keep(&self, key: &str, build: &Path, configure: &Path) -> anyhow::Result<()> {
        let Some(bytes) = read_regular(&build.join("config.cache"), SEED_LIMIT)? else { return Ok(()) };
        let script = read_regular(configure, 64 << 20)?.unwrap_or_default();
        let unsafe_names = unsafe_answers(&String::from_utf8_lossy(&script));
        let text = String::from_utf8_lossy(&bytes);
        let kept: String = text
            .split_inclusive('\n')
            .filter(|line| !line.split_once('=').is_some_and(|(name, _)| unsafe_names.contains(name)))
            .collect();
        fs_err::create_dir_all(&self.dir)?;
        write_atomic(&self.path(key), self.paths.to_placeholders(&kept))
    }
}

/// The cache variables of a configure script that a seed must not carry, because a configure
/// that finds them in its cache does not end as a cold one does (both seen in CPython's own
/// configure; autoconf's `-C` has the same flaw within one build directory):
///
/// - a variable the script reads before the check that computes it: cold, the read sees
///   nothing, seeded it sees the answer (3.13: `ac_cv_gcc_asm_for_x64`, read to choose libmpdec's
///   configuration ten thousand lines before its check: `-DANSI` cold, `-DASM` seeded);
/// - a check whose body sets a variable other than cache variables and what it saves and
///   restores: seeded, the body does not run (3.13: `ac_cv_wl_no_as_needed` sets
///   NO_AS_NEEDED); a check whose end cannot be found is treated the same way.
///
/// Such checks simply run again in a seeded configure.
pub fn unsafe_answers(script: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = script.lines().collect();
    let mut computed: BTreeMap<&str, usize> = BTreeMap::new();
    let mut read: BTreeMap<&str, usize> = BTreeMap::new();
    for (at, line) in lines.iter().enumerate() {
        for (name, is_check) in cache_references(line) {
            let first = if is_check { &mut computed } else { &mut read };
            first.entry(name).or_insert(at);
        }
    }
    let mut found: BTreeSet<String> = read
        .iter()
        .filter(|(name, at)| computed.get(*name).is_some_and(|computed_at| *at < computed_at))
        .map(|(name, _)| name.to_string())
        .collect();
    for (at, line) in lines.iter().enumerate() {
        if let Some(name) = check_start(line) {
            if check_has_side_effects(name, &lines[at + 1..]) {
                found.insert(name.to_owned());
            }
        }
    }
    found
}

/// `if test ${NAME+y}` (autoconf 2.70 on) or `if ${NAME+:} false; then :` (2.69, CPython 3.11):
/// the start of a cached check of NAME.
fn check_start(line: &str) -> Option<&str> {
    let line = line.trim();
    let name = match line.strip_prefix("if test ${") {
        Some(rest) => rest.strip_suffix("+y}")?,
        None => line.strip_prefix("if ${")?.strip_suffix("+:} false; then :")?,
    };
    (name.contains("_cv_") && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(name)
}

/// Whether a check's body (from the line after its start to the `fi` before its result line)
/// leaves a variable set that is neither a cache variable nor restored from a saved value.
fn check_has_side_effects(name: &str, body: &[&str]) -> bool {
    let own = Some(name);
    // Every variable the body assigns, with its values in order.
    let mut assigned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (at, line) in body.iter().enumerate() {
        if line.trim() == "fi" && body.get(at + 1).is_some_and(|next| next.contains(": result: ")) {
            return assigned
                .iter()
                .any(|(variable, values)| !tool_variable(variable) && !restored(variable, values, &assigned));
        }
        // Another check starting before this one's result: its end cannot be told apart. The
        // same name again (AC_SEARCH_LIBS tests it inside its own loop) is still this check.
        if check_start(line).is_some_and(|other| Some(other) != own) {
            break;
        }
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("as_fn_append ") {
            if let Some(variable) = rest.split_whitespace().next() {
                assigned.entry(variable).or_default().push("");
            }
        } else if let Some((variable, value)) = line.split_once('=') {
            if !variable.is_empty() && variable.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                assigned.entry(variable).or_default().push(value.trim());
            }
        }
    }
    true
}

/// Whether `variable` ends the body as it started: its last value is a saved copy (a variable
/// named `…save…`, or one the body set to `$variable` first: `py_cflags=$CFLAGS … CFLAGS=$py_cflags`).
fn restored(variable: &str, values: &[&str], assigned: &BTreeMap<&str, Vec<&str>>) -> bool {
    let plain = |value: &str| {
        value.trim_matches('"').trim_start_matches('$').trim_start_matches('{').trim_end_matches('}').to_owned()
    };
    let Some(last) = values.last() else { return true };
    if last.contains("save") {
        return true;
    }
    let copy = plain(last);
    assigned.get(copy.as_str()).is_some_and(|copies| copies.iter().any(|value| plain(value) == variable))
}

/// autoconf's and CPython's own bookkeeping: cache variables and the shell's helpers.
fn tool_variable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["ac_", "as_", "py_", "ax_", "pkg_"].iter().any(|p| name.starts_with(p))
        || name.contains("_cv_")
        || lower.contains("save")
}

/// The cache variables a line names: `(NAME, true)` where it checks or computes it (`${NAME+y}`,
/// or `"NAME"` handed to one of autoconf's check functions), `(NAME, false)` where it reads it.
fn cache_references(line: &str) -> Vec<(&str, bool)> {
    let mut found = vec![];
    let bytes = line.as_bytes();
    let word = |from: usize| {
        let end = bytes[from..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(bytes.len(), |n| from + n);
        &line[from..end]
    };
    for (at, byte) in bytes.iter().enumerate() {
        let start = match byte {
            b'$' if bytes.get(at + 1) == Some(&b'{') => at + 2,
            b'$' => at + 1,
            b'"' if at == 0 || bytes[at - 1] != b'$' => at + 1,
            _ => continue,
        };
        let name = word(start);
        if !name.contains("_cv_") || name.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let after = &line[start + name.len()..];
        let is_check = match byte {
            b'"' => after.starts_with('"'),
            _ => after.starts_with("+y}") || after.starts_with("+:}"),
        };
        if *byte == b'"' && !is_check {
            continue;
        }
        found.push((name, is_check));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::PathText;

    #[test]
    fn a_seed_kept_in_one_work_dir_is_planted_in_anothers_paths() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path();
        let map = |work: &str| {
            PathMap::new(&root.join(work), &root.join("cache"), &root.join("cache/deps"), &root.join("cache/tc"))
        };
        let (one, two) = (map("one"), map("two"));
        let seeds = |paths| Seeds { dir: root.join("cache/configure"), paths };
        let parts = |work: &str| vec![format!("CC={}/bin/cc", root.join(work).plain())];
        let key = seeds(&one).key(&parts("one"), &[], "cc 12").unwrap();
        assert_eq!(key, seeds(&two).key(&parts("two"), &[], "cc 12").unwrap(), "the same key in another work dir");
        assert_ne!(key, seeds(&two).key(&parts("two"), &[], "cc 13").unwrap());
        for dir in ["one", "two"] {
            fs_err::create_dir_all(root.join(dir)).unwrap();
        }
        let written =
            format!("ac_cv_prog_PYTHON=${{ac_cv_prog_PYTHON={}/build-python/python}}\n", root.join("one").plain());
        fs_err::write(root.join("one/config.cache"), &written).unwrap();
        assert!(!seeds(&two).plant(&key, &root.join("two")).unwrap(), "nothing kept yet");
        seeds(&one).keep(&key, &root.join("one"), &root.join("no-configure")).unwrap();
        assert!(seeds(&two).plant(&key, &root.join("two")).unwrap());
        let planted = fs_err::read_to_string(root.join("two/config.cache")).unwrap();
        assert_eq!(planted, written.replace(&root.join("one").plain(), &root.join("two").plain()));
    }

    #[test]
    fn answers_read_before_their_check_or_with_side_effects_stay_out_of_a_seed() {
        let script = r#"
if test "$ac_cv_gcc_asm_for_x64" = yes; then machine=x64; fi
ac_fn_c_check_func "$LINENO" "fork" "ac_cv_func_fork"
if test "x$ac_cv_func_fork" = xyes
then :
fi
if test ${ac_cv_wl_no_as_needed+y}
then :
  printf %s "(cached) " >&6
else $as_nop
  save_LDFLAGS="$LDFLAGS"
  as_fn_append LDFLAGS " -Wl,--no-as-needed"
  if ac_fn_c_try_link "$LINENO"
  then :
    NO_AS_NEEDED="-Wl,--no-as-needed"
    ac_cv_wl_no_as_needed=yes
  fi
  LDFLAGS="$save_LDFLAGS"
fi
{ printf "%s\n" "$as_me:${as_lineno-$LINENO}: result: $ac_cv_wl_no_as_needed" >&5
if test ${ac_cv_gcc_asm_for_x64+y}
then :
  printf %s "(cached) " >&6
else $as_nop
  ac_cv_gcc_asm_for_x64=yes
fi
{ printf "%s\n" "$as_me:${as_lineno-$LINENO}: result: $ac_cv_gcc_asm_for_x64" >&5
if test ${ac_cv_lib_z_gzread+y}
then :
  printf %s "(cached) " >&6
else $as_nop
  ac_check_lib_save_LIBS=$LIBS
LIBS="-lz  $LIBS"
if ac_fn_c_try_link "$LINENO"
then :
  ac_cv_lib_z_gzread=yes
fi
LIBS=$ac_check_lib_save_LIBS
fi
{ printf "%s\n" "$as_me:${as_lineno-$LINENO}: result: $ac_cv_lib_z_gzread" >&5
"#;
        let found = unsafe_answers(script);
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["ac_cv_gcc_asm_for_x64", "ac_cv_wl_no_as_needed"]);
        // autoconf 2.69's form of the same (CPython 3.11).
        let old =
            script.replace("if test ${ac_cv_wl_no_as_needed+y}\nthen :", "if ${ac_cv_wl_no_as_needed+:} false; then :");
        let old =
            old.replace("if test ${ac_cv_gcc_asm_for_x64+y}\nthen :", "if ${ac_cv_gcc_asm_for_x64+:} false; then :");
        assert!(old.contains("if ${ac_cv_wl_no_as_needed+:} false; then :\n"));
        assert!(old.contains("if ${ac_cv_gcc_asm_for_x64+:} false; then :\n"));
        assert_eq!(
            unsafe_answers(&old).into_iter().collect::<Vec<_>>(),
            ["ac_cv_gcc_asm_for_x64", "ac_cv_wl_no_as_needed"]
        );
    }

    #[test]
    fn a_kept_seed_leaves_out_the_unsafe_answers() {
        let scratch = tempfile::tempdir().unwrap();
        let root = scratch.path();
        let paths = PathMap::new(&root.join("w"), &root.join("c"), &root.join("c/deps"), &root.join("c/tc"));
        let seeds = Seeds { dir: root.join("c/configure"), paths: &paths };
        fs_err::create_dir_all(root.join("w")).unwrap();
        let configure =
            "if test ${ac_cv_x+y}\nthen :\nelse $as_nop\n  X=1\n  ac_cv_x=yes\nfi\n{ printf x: result: $ac_cv_x\n";
        fs_err::write(root.join("w/configure"), configure).unwrap();
        fs_err::write(
            root.join("w/config.cache"),
            "# comment\nac_cv_x=${ac_cv_x=yes}\nac_cv_func_fork=${ac_cv_func_fork=yes}\n",
        )
        .unwrap();
        seeds.keep("k", &root.join("w"), &root.join("w/configure")).unwrap();
        let kept = fs_err::read_to_string(root.join("c/configure/k.cache")).unwrap();
        assert_eq!(kept, "# comment\nac_cv_func_fork=${ac_cv_func_fork=yes}\n");
    }
}
