//! The smoke test: the modules a packaged build must have, and file I/O in a mapped directory.

use anyhow::{bail, Context};
use fs_err as fs;

use crate::files::remove_tree_if_exists;
use crate::process::Env;
use crate::workdir::{RunRecord, WorkDir};

const SCRIPT: &str = r#"
import os, sys, zlib, bz2, json, decimal, binascii
assert sys.platform == sys.argv[3], sys.platform
assert os.__file__.startswith(sys.argv[2] + "/Lib/"), os.__file__
data = b"cpython-wasm " * 1000
assert zlib.decompress(zlib.compress(data)) == data
assert binascii.crc32(data) == zlib.crc32(data)
assert bz2.decompress(bz2.compress(data)) == data
assert json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
assert str(decimal.Decimal(1) / decimal.Decimal(7)).startswith("0.142857")
path = sys.argv[1] + "/smoke.txt"
with open(path, "w") as f:
    f.write("written by the interpreter")
with open(path) as f:
    assert f.read() == "written by the interpreter"
print("smoke ok", sys.version.split()[0], sys.platform, sys.implementation._multiarch)
"#;

pub fn run(record: &RunRecord, work: &WorkDir, env: &Env) -> anyhow::Result<()> {
    let host_dir = work.target_build.join("smoke");
    remove_tree_if_exists(&host_dir)?;
    fs::create_dir_all(&host_dir)?;
    // The build directory is mapped at its own path, so the guest writes where the host reads.
    let guest_dir = host_dir.display().to_string();
    let platform = if record.target.starts_with("emscripten") { "emscripten" } else { "wasi" };
    let args =
        ["-c".to_owned(), SCRIPT.to_owned(), guest_dir, record.source.display().to_string(), platform.to_owned()];
    let (output, errors) =
        super::interpreter(record, &work.root, env, &args).read_both().context("smoke test: the interpreter failed")?;
    if !errors.trim().is_empty() {
        bail!("smoke test: the interpreter wrote to stderr: {}", errors.trim());
    }
    let written = std::fs::read_to_string(host_dir.join("smoke.txt")).unwrap_or_default();
    if !output.starts_with("smoke ok") || written != "written by the interpreter" {
        bail!("smoke test: unexpected result: printed `{}`, file in the mapped dir holds `{written}`", output.trim());
    }
    eprintln!("test: {}", output.trim());
    Ok(())
}
