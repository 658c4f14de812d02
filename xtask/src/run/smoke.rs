//! The smoke test: the modules a packaged build must have (zlib, bz2, decimal on the pinned
//! libmpdec, sqlite3, and on emscripten ctypes calling into libc), file I/O in a mapped
//! directory, and a report of the modules configure left out.

use anyhow::{bail, Context};
use fs_err as fs;

use crate::files::remove_tree_if_exists;
use crate::process::Env;
use crate::target::Stdlib;
use crate::text::printable;
use crate::text::PathText;
use crate::workdir::{RunRecord, WorkDir};

const SCRIPT: &str = r#"
import os, sys, zlib, bz2, json, decimal, binascii
want = json.loads(sys.argv[1])
assert sys.platform == want["platform"], sys.platform
assert json.__file__.startswith(want["stdlib"]), (json.__file__, want["stdlib"])
data = b"cpython-wasm " * 1000
assert zlib.decompress(zlib.compress(data)) == data
assert binascii.crc32(data) == zlib.crc32(data)
assert bz2.decompress(bz2.compress(data)) == data
assert json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
assert str(decimal.Decimal(1) / decimal.Decimal(7)).startswith("0.142857")
import _decimal
assert decimal.Decimal is _decimal.Decimal, "decimal is the pure-Python fallback"
mpdec = decimal.__libmpdec_version__
import sqlite3
db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.executemany("insert into t values (?)", [(i,) for i in range(100)])
assert db.execute("select sum(x) from t").fetchone() == (4950,)
checked = ["zlib", "bz2", "decimal (libmpdec %s)" % mpdec, "sqlite3 %s" % sqlite3.sqlite_version]
if want["ctypes"]:
    import ctypes
    buf = ctypes.create_string_buffer(8)
    ctypes.memmove(buf, b"wasm", 4)
    assert buf.value == b"wasm" and ctypes.c_int(-7).value == -7
    checked.append("ctypes")
import sysconfig
left_out = sorted(
    "%s (%s)" % (k[len("MODULE_"):-len("_STATE")].lower(), v)
    for k, v in sysconfig.get_config_vars().items()
    if k.startswith("MODULE_") and k.endswith("_STATE") and v not in ("yes", "")
)
path = want["guest_dir"] + "/smoke.txt"
with open(path, "w") as f:
    f.write("written by the interpreter")
with open(path) as f:
    assert f.read() == "written by the interpreter"
print("smoke ok", sys.version.split()[0], sys.platform, sys.implementation._multiarch)
print("checked:", ", ".join(checked))
print("left out by configure:", ", ".join(left_out) or "nothing")
if not want["ctypes"]:
    print("not offered: ctypes (libffi has no WASI port)")
if want["threads"]:
    import threading
    results = [None] * 4
    def work(i):
        results[i] = sum(range(i * 100000))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [sum(range(i * 100000)) for i in range(4)], results
    print("threads: 4 started and joined, %d alive after join" % sum(t.is_alive() for t in threads))
"#;

/// How the script's line of the modules configure left out starts.
const LEFT_OUT: &str = "left out by configure:";

/// What the script checks, passed to it as one JSON argument.
#[derive(serde::Serialize)]
struct Checks {
    /// A directory of the host, at its own path in the guest, to write a file into.
    guest_dir: String,
    /// Where the stdlib must come from (a path prefix of `json.__file__`).
    stdlib: String,
    platform: &'static str,
    ctypes: bool,
    threads: bool,
}

/// Runs the smoke test. The line of what configure left out is printed when it changed since the
/// last run (kept in the target's build dir) or with `verbose`.
pub fn run(record: &RunRecord, work: &WorkDir, env: &Env, verbose: bool) -> anyhow::Result<()> {
    let host_dir = work.target_build.join("smoke");
    remove_tree_if_exists(&host_dir)?;
    fs::create_dir_all(&host_dir)?;
    // The build directory is mapped at its own path, so the guest writes where the host reads.
    let guest_dir = host_dir.plain();
    let offers = record.target.offers;
    // Where the stdlib must come from: the source's Lib/, or the web bundle's zip.
    let stdlib = match offers.stdlib {
        Stdlib::BundleZip => format!("{}/", crate::run::bundle_stdlib(record)?),
        Stdlib::SourceLib => format!("{}/Lib/", record.source.plain()),
    };
    let checks =
        Checks { guest_dir, stdlib, platform: offers.platform, ctypes: offers.ctypes, threads: offers.threads };
    let args = ["-c".to_owned(), SCRIPT.to_owned(), serde_json::to_string(&checks)?];
    let (output, errors) =
        super::interpreter(record, &work.root, env, &args).read_both().context("smoke test: the interpreter failed")?;
    if !errors.trim().is_empty() {
        bail!("smoke test: the interpreter wrote to stderr: {}", errors.trim());
    }
    let written = std::fs::read_to_string(host_dir.join("smoke.txt")).unwrap_or_default();
    if !output.starts_with("smoke ok") || written != "written by the interpreter" {
        bail!("smoke test: unexpected result: printed `{}`, file in the mapped dir holds `{written}`", output.trim());
    }
    let said = work.target_build.join("left-out.txt");
    let before = std::fs::read_to_string(&said).unwrap_or_default();
    for line in output.lines().map(str::trim) {
        if line.starts_with(LEFT_OUT) {
            if !verbose && line == before.trim() {
                continue;
            }
            crate::files::write_atomic(&said, format!("{line}\n"))?;
        }
        eprintln!("test: {}", printable(line));
    }
    Ok(())
}
