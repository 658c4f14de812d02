//! Objects from the real clang (Debian's clang-19, which CI installs), archived with the real
//! llvm-ar: PIC passes, non-PIC and non-wasm members are named.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

const SOURCE: &str = "static int counter; int shared; extern int ext; int f(int x) { return x + 1; }\n\
    int (*fp)(int) = f;\n\
    int g(void) { counter++; shared++; return ext + counter + (fp == f); }\n";

fn run(program: &str, args: &[&str], dir: &Path) {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("{program} (Debian's clang-19/llvm-19, installed by .ci/run): {e}"));
    assert!(status.success(), "{program} {args:?} failed");
}

/// An archive of `source` compiled with `flags`, members named `names`.
fn archive(dir: &Path, flags: &[&str], names: &[&str]) -> PathBuf {
    std::fs::write(dir.join("a.c"), SOURCE).unwrap();
    for name in names {
        let mut args = vec!["--target=wasm32-unknown-unknown", "-O2", "-c", "a.c", "-o", name];
        args.extend(flags);
        run("clang-19", &args, dir);
    }
    let mut args = vec!["rcs", "lib.a"];
    args.extend(names);
    run("llvm-ar-19", &args, dir);
    dir.join("lib.a")
}

#[test]
fn a_pic_archive_passes_with_short_and_long_member_names() {
    let dir = tempfile::tempdir().unwrap();
    let lib = archive(dir.path(), &["-fPIC"], &["short.o", "a-member-name-longer-than-sixteen.o"]);
    check(&lib).unwrap();
}

#[test]
fn a_non_pic_member_is_named_with_its_relocation() {
    let dir = tempfile::tempdir().unwrap();
    let lib = archive(dir.path(), &[], &["a-member-name-longer-than-sixteen.o"]);
    let err = check(&lib).unwrap_err().to_string();
    assert!(err.contains("not position-independent"), "{err}");
    assert!(err.contains("`a-member-name-longer-than-sixteen.o`"), "{err}");
    assert!(err.contains("R_WASM_MEMORY_ADDR") || err.contains("R_WASM_TABLE_INDEX_SLEB"), "{err}");
}

#[test]
fn a_host_object_is_not_wasm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.c"), SOURCE).unwrap();
    run("clang-19", &["-fPIC", "-c", "a.c", "-o", "host.o"], dir.path());
    run("llvm-ar-19", &["rcs", "lib.a", "host.o"], dir.path());
    let err = check(&dir.path().join("lib.a")).unwrap_err().to_string();
    assert!(err.contains("`host.o`: not a wasm object"), "{err}");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib.a");
    for bytes in [
        &b"not an archive"[..],
        b"!<arch>\nshort",
        b"!<arch>\nx.o/           0           0     0     644     99999     `\n",
    ] {
        std::fs::write(&lib, bytes).unwrap();
        assert!(check(&lib).is_err());
    }
    let mut truncated = b"!<arch>\nx.o/            0           0     0     644     12        `\n".to_vec();
    truncated.extend(b"\0asm\x01\0\0\0\0\x7f\x05a");
    std::fs::write(&lib, &truncated).unwrap();
    assert!(check(&lib).unwrap_err().to_string().contains("unreadable wasm object"));
}
