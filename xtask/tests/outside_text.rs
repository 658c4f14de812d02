//! Outside text (paths given as flags, a tree's pins) printed through the real binary: a
//! newline or ESC in it is shown escaped, so it can neither forge an `error:` line nor move the
//! terminal's cursor. (tests/tidy.rs checks that no message formats a path another way.)

mod support;

use std::fs;
use std::path::Path;
use std::process::Output;

use support::xtask;

const FORGED: &str = "x\nerror: forged \u{1b}[2J";

/// All the text a run printed, on both streams.
fn printed(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn escaped(out: &Output) {
    let text = printed(out);
    assert!(!out.status.success(), "{text}");
    assert!(!text.contains('\u{1b}'), "a raw ESC reached the terminal:\n{text}");
    assert!(!text.lines().any(|l| l.starts_with("error: forged")), "a forged line:\n{text}");
    assert!(text.contains("x\\u{a}error: forged \\u{1b}[2J"), "the path is not shown at all:\n{text}");
}

/// A checkout of CPython 3.14 whose emscripten pin holds a newline and ESC.
fn checkout_pinning(dir: &Path, pin: &str) {
    fs::create_dir_all(dir.join("Include")).unwrap();
    fs::create_dir_all(dir.join("Platforms/emscripten")).unwrap();
    fs::write(dir.join("configure"), "#!/bin/sh\n").unwrap();
    fs::write(
        dir.join("Include/patchlevel.h"),
        "#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 14\n#define PY_VERSION \"3.14.0+\"\n",
    )
    .unwrap();
    let toml = format!("emscripten-version = {}\nnode-version = \"24\"\n", toml::Value::String(pin.into()));
    fs::write(dir.join("Platforms/emscripten/config.toml"), toml).unwrap();
}

#[test]
fn flag_paths_holding_a_newline_or_esc_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let weird = dir.path().join(FORGED);
    fs::create_dir_all(&weird).unwrap();
    let weird = weird.to_str().unwrap();
    let cache = dir.path().join("cache");
    let cache = cache.to_str().unwrap();
    for args in [
        vec!["bootstrap", "--offline", "--target", "wasi", "--python-source", weird, "--cache-dir", cache],
        vec!["run", "--target", "wasi", "--work-dir", weird],
        vec!["serve", "--dir", &format!("{weird}/none")],
        vec!["prune", "--cache-dir", cache, "--work-dir", weird],
    ] {
        escaped(&xtask(&args, &[]));
    }
}

#[test]
fn a_tree_pin_holding_a_newline_is_refused_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let checkout = dir.path().join("checkout");
    checkout_pinning(&checkout, FORGED);
    let cache = dir.path().join("cache");
    let args = ["doctor", "--target", "emscripten-node", "--python-source", checkout.to_str().unwrap()];
    let out = xtask(&[&args[..], &["--cache-dir", cache.to_str().unwrap()]].concat(), &[]);
    let text = printed(&out);
    assert!(!text.contains('\u{1b}') && !text.lines().any(|l| l.starts_with("error: forged")), "{text}");
    assert!(text.contains("emscripten-version") && text.contains("not a plain version"), "{text}");
}
