//! The smoke test: the modules a packaged build must have, and file I/O in a mapped directory.

use std::collections::BTreeMap;
use std::fs;

use anyhow::{bail, Context};

use crate::build::env::{RunRecord, GUEST_BUILD_DIR};
use crate::build::Layout;

const SCRIPT: &str = r#"
import sys, zlib, bz2, json, decimal, binascii
assert sys.platform == "wasi", sys.platform
data = b"cpython-wasm " * 1000
assert zlib.decompress(zlib.compress(data)) == data
assert binascii.crc32(data) == zlib.crc32(data)
assert bz2.decompress(bz2.compress(data)) == data
assert json.loads(json.dumps({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
assert str(decimal.Decimal(1) / decimal.Decimal(7)).startswith("0.142857")
path = sys.argv[1] + "/smoke.txt"
with open(path, "w") as f:
    f.write("written by python.wasm")
with open(path) as f:
    assert f.read() == "written by python.wasm"
print("smoke ok", sys.version.split()[0], sys.platform, sys.implementation._multiarch)
"#;

pub fn run(record: &RunRecord, layout: &Layout, outer_env: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let host_dir = layout.host.join("smoke");
    let _ = fs::remove_dir_all(&host_dir);
    fs::create_dir_all(&host_dir).with_context(|| format!("create {}", host_dir.display()))?;
    let guest_dir = format!("{GUEST_BUILD_DIR}/smoke");
    let env = super::runner_env(outer_env);
    let args = ["-c".to_owned(), SCRIPT.to_owned(), guest_dir];
    let output =
        super::interpreter(record, &layout.work, &env, &args).read().context("smoke test: python.wasm failed")?;
    let written = fs::read_to_string(host_dir.join("smoke.txt")).unwrap_or_default();
    if !output.starts_with("smoke ok") || written != "written by python.wasm" {
        bail!("smoke test: unexpected result: printed `{}`, file in the mapped dir holds `{written}`", output.trim());
    }
    eprintln!("test: {}", output.trim());
    Ok(())
}
