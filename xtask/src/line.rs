//! CPython lines are data: one profile row per line, for what differs between lines in how this
//! tool builds and runs them. Every stage reads its row here; none matches on a line number.
//! A line newer than the last row uses the last row (main moves faster than this table).
//!
//! Facts that depend on the tree itself rather than its line (is the flavour option still in
//! configure, does the tree carry CPython's node entry) are probes, and live in
//! `cpython::probe`.

use std::fmt;

use anyhow::Context;

/// A CPython line: `3.13`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PythonLine {
    pub major: u32,
    pub minor: u32,
}

impl PythonLine {
    /// `X.Y`, or `X.Y.Z` with its patch level returned beside the line.
    pub fn parse_version(text: &str) -> anyhow::Result<(PythonLine, Option<String>)> {
        match text.matches('.').count() {
            2 => {
                let (line, patch) = text.rsplit_once('.').unwrap_or((text, ""));
                patch.parse::<u32>().with_context(|| format!("`{text}` is not a CPython version like 3.13.5"))?;
                Ok((PythonLine::parse(line)?, Some(text.to_owned())))
            }
            _ => Ok((PythonLine::parse(text)?, None)),
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<PythonLine> {
        let (major, minor) = text.split_once('.').context("expected X.Y")?;
        Ok(PythonLine {
            major: major.parse().with_context(|| format!("`{text}` is not a CPython line like 3.13"))?,
            minor: minor.parse().with_context(|| format!("`{text}` is not a CPython line like 3.13"))?,
        })
    }
}

impl fmt::Display for PythonLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What differs between CPython lines, for one line and those after it up to the next row.
#[derive(Debug, PartialEq, Eq)]
pub struct Profile {
    /// The line the row starts at (`3.13`: this row holds for 3.13 until the next row).
    pub minor: u32,
    /// `--host` for WASI: configure of 3.11 and 3.12 knows WASI as `*-*-wasi` only (and refuses
    /// `wasm32-wasip1`: "cross build not supported"); 3.13 on as wasm32-wasip1.
    pub wasi_host: &'static str,
    /// configure answers for WASI that the line's own config.site lacks for the pinned SDK. The
    /// SDKs 3.11 and 3.12 were made with had no chmod or statvfs, so their configure found none:
    /// `os.chmod` did nothing on WASI ("WASI SDK 15.0 does not support chmod", posixmodule.c)
    /// and `os.statvfs` did not exist. wasi-libc now has stubs for them that fail with ENOSYS,
    /// configure finds them, and every call raises (seen: 20 test files of each line's suite
    /// failing on chmod, then 5 on statvfs). 3.13's config.site answers `no` for these five;
    /// these lines get the same answers.
    pub wasi_configure: &'static [&'static str],
    /// The guest stack each line's own WASI runner asks wasmtime for (`max-wasm-stack`).
    pub wasi_stack: u64,
    /// Node flags of the emscripten runner. 3.13 bounds C recursion by a count (10000 on
    /// emscripten); that deep in wasm needs more native stack than V8 gives by default (about
    /// 1 MiB): deep recursion ends in "RangeError: Maximum call stack size exceeded" instead of
    /// RecursionError. 4000 KiB stays under the 8 MiB stack of Node's main thread. 3.14 on
    /// checks the stack itself.
    pub node_flags: &'static [&'static str],
    /// Link flags a line's own configure leaves out for the pinned emscripten. Emscripten 3.1.27
    /// cut the default stack from 5 MiB to 64 KiB; 3.14's configure links with
    /// `-sSTACK_SIZE=5MB`, 3.13's does not, and its recursion limit then overflows the stack
    /// ("memory access out of bounds" instead of RecursionError).
    pub emscripten_ldflags: &'static [&'static str],
    /// The stdlib zip's file name in a web bundle, as the line's own web example names it
    /// (`python313.zip` up to 3.13, `python3.14.zip` from 3.14 on). Inside the interpreter it is
    /// `PREFIX/lib/python314.zip` on every line.
    pub zip_name: ZipName,
    /// How `test --suite full` runs regrtest, as the line's own CI does, in one process (a wasm
    /// guest cannot start workers). 3.11's regrtest has no --single-process, and its
    /// --fast-ci asks for workers (-j0): the same options are given one by one instead.
    pub regrtest: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZipName {
    /// `python313.zip`
    Plain,
    /// `python3.14.zip`
    Dotted,
}

impl ZipName {
    pub fn of(self, line: PythonLine) -> String {
        match self {
            ZipName::Plain => format!("python{}{}.zip", line.major, line.minor),
            ZipName::Dotted => format!("python{line}.zip"),
        }
    }
}

const LEGACY_WASI: Profile = Profile {
    minor: 11,
    wasi_host: "wasm32-unknown-wasi",
    wasi_configure: &[
        "ac_cv_func_chmod=no",
        "ac_cv_func_fchmod=no",
        "ac_cv_func_fchmodat=no",
        "ac_cv_func_statvfs=no",
        "ac_cv_func_fstatvfs=no",
    ],
    wasi_stack: 8_388_608,
    node_flags: &["--stack-size=4000"],
    emscripten_ldflags: &["-sSTACK_SIZE=5MB"],
    zip_name: ZipName::Plain,
    regrtest: &["--randomize", "--fail-env-changed", "--slowest", "--verbose3", "-uall,-cpu"],
};

const FAST_CI: &[&str] = &["--fast-ci", "--single-process"];

/// One row per line that changed something, oldest first.
pub const PROFILES: &[Profile] = &[
    LEGACY_WASI,
    Profile { minor: 12, regrtest: FAST_CI, ..LEGACY_WASI },
    Profile { minor: 13, wasi_host: "wasm32-wasip1", wasi_configure: &[], regrtest: FAST_CI, ..LEGACY_WASI },
    Profile {
        minor: 14,
        wasi_host: "wasm32-wasip1",
        wasi_configure: &[],
        wasi_stack: 16_777_216,
        node_flags: &[],
        emscripten_ldflags: &[],
        zip_name: ZipName::Dotted,
        regrtest: FAST_CI,
    },
    Profile {
        minor: 15,
        wasi_host: "wasm32-wasip1",
        wasi_configure: &[],
        wasi_stack: 33_554_432,
        node_flags: &[],
        emscripten_ldflags: &[],
        zip_name: ZipName::Dotted,
        regrtest: FAST_CI,
    },
];

/// The profile of `line`: the last row at or before it. Lines before the first row have no
/// profile (this tool builds 3.11 and later).
pub fn profile(line: PythonLine) -> anyhow::Result<&'static Profile> {
    PROFILES.iter().rev().find(|row| line.major == 3 && row.minor <= line.minor).ok_or_else(|| {
        anyhow::anyhow!("CPython {line} is older than any line this tool builds for WebAssembly (3.11 and later)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(minor: u32) -> &'static Profile {
        profile(PythonLine { major: 3, minor }).unwrap()
    }

    #[test]
    fn lines_parse_and_order() {
        assert_eq!(PythonLine::parse("3.13").unwrap(), PythonLine { major: 3, minor: 13 });
        assert!(PythonLine::parse("3.9").unwrap() < PythonLine::parse("3.13").unwrap());
        assert!(PythonLine::parse("three").is_err());
        let (line, exact) = PythonLine::parse_version("3.13.5").unwrap();
        assert_eq!((line.to_string(), exact.as_deref()), ("3.13".to_owned(), Some("3.13.5")));
        assert_eq!(PythonLine::parse_version("3.14").unwrap().1, None);
        assert!(PythonLine::parse_version("3.13.x").is_err());
    }

    #[test]
    fn rows_are_in_order_and_start_at_3_11() {
        assert!(PROFILES.windows(2).all(|pair| pair[0].minor < pair[1].minor));
        assert!(profile(PythonLine { major: 3, minor: 10 }).is_err());
        assert!(profile(PythonLine { major: 2, minor: 7 }).is_err());
    }

    #[test]
    fn line_3_11_and_3_12_know_wasi_by_its_old_triple() {
        assert_eq!(of(11).wasi_host, "wasm32-unknown-wasi");
        assert_eq!(of(12).wasi_host, "wasm32-unknown-wasi");
        assert_eq!((of(11).wasi_stack, of(12).node_flags), (8_388_608, &["--stack-size=4000"][..]));
        assert!(!of(11).regrtest.contains(&"--single-process") && of(12).regrtest.contains(&"--single-process"));
        assert!(of(12).wasi_configure.contains(&"ac_cv_func_chmod=no") && of(13).wasi_configure.is_empty());
    }

    #[test]
    fn line_3_13_links_a_5mb_stack_and_node_gets_a_bigger_one() {
        let row = of(13);
        assert_eq!((row.wasi_host, row.wasi_stack), ("wasm32-wasip1", 8_388_608));
        assert_eq!((row.node_flags, row.emscripten_ldflags), (&["--stack-size=4000"][..], &["-sSTACK_SIZE=5MB"][..]));
    }

    #[test]
    fn line_3_14_has_its_own_stack_checks() {
        let row = of(14);
        assert_eq!((row.wasi_stack, row.node_flags.len(), row.emscripten_ldflags.len()), (16_777_216, 0, 0));
        assert_eq!(row.zip_name.of(PythonLine { major: 3, minor: 14 }), "python3.14.zip");
        assert_eq!(of(13).zip_name.of(PythonLine { major: 3, minor: 13 }), "python313.zip");
    }

    #[test]
    fn line_3_15_and_later_lines_take_the_last_row() {
        assert_eq!(of(15).wasi_stack, 33_554_432);
        assert_eq!(of(16), of(15));
        assert_eq!(of(17), of(15), "a line newer than the table builds as the newest row says");
    }
}
