//! A dist of a small fake build: the same bytes from two directories, and what `verify` says of
//! every kind of change.

use std::path::Path;

use fs_err as fs;

use super::layout::tests::fake_build;
use super::{package, verify, Packaged};
use crate::target::WASI;
use crate::workdir::{BuildInputs, EpochFrom, PatchPin, PathMap, Pin, RunRecord, RunnerCommand, SourceInput, WorkDir};

fn pin(component: &str) -> Pin {
    Pin {
        component: component.into(),
        name: component.into(),
        version: "1.0".into(),
        url: format!("https://example.invalid/{component}-1.0.tar.gz"),
        sha256: "ab".repeat(32),
        size: None,
        unpacked_size: None,
        strip: None,
        host: None,
        python: vec![],
        format: "tar.gz".into(),
    }
}

/// Packages a fake build made under `root` into `root/out`.
fn dist_under(root: &Path) -> Packaged {
    let (build, tree) = fake_build(root);
    let work = WorkDir::new(&root.join("work"), &WASI);
    assert_eq!(work.target_build, build);
    let record = RunRecord {
        target: &WASI,
        python: "3.13".into(),
        source: tree.clone(),
        origin: tree,
        runner: RunnerCommand { module: build.join("python.wasm"), ..Default::default() },
        compiler_cache: None,
    };
    let cache = root.join("cache");
    let inputs = BuildInputs {
        target: &WASI,
        version: "3.13.5".into(),
        source: SourceInput::Release(Box::new(pin("cpython"))),
        source_date_epoch: 1_749_653_352,
        epoch_from: EpochFrom::Release,
        machine: "x86_64-linux".into(),
        toolchain: vec![pin("wasi-sdk"), pin("wasmtime")],
        unpinned: vec![],
        libraries: vec![pin("zlib")],
        patches: vec![PatchPin { name: "0001-x.patch".into(), sha256: "cd".repeat(32) }],
        configure_args: vec![],
        paths: PathMap::new(&root.join("work"), &cache, &cache.join("deps"), &cache.join("toolchains")),
    };
    package(&work, &record, &inputs, &root.join("out")).unwrap()
}

#[test]
fn two_directories_give_the_same_bytes_and_the_dist_verifies() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let deeper = b.path().join("much/deeper");
    let (first, second) = (dist_under(a.path()), dist_under(&deeper));
    assert_eq!(first.archive.file_name().unwrap(), "python-3.13.5-wasm32-wasip1.tar.xz");
    assert_eq!(fs::read(&first.archive).unwrap(), fs::read(&second.archive).unwrap());
    let verified = verify::verify(&first.archive).unwrap();
    assert_eq!(verified.stem, "python-3.13.5-wasm32-wasip1");
    let external = &verified.statement.predicate.build_definition.external;
    assert_eq!((external.target.as_str(), external.version.as_str()), ("wasi", "3.13.5"));
    let roles: Vec<_> =
        verified.statement.predicate.build_definition.resolved.iter().map(|r| r.annotations.role).collect();
    use super::provenance::Role::*;
    assert_eq!(roles, [Source, Compiler, Runner, Library, Patch, Tool]);
}

/// The dist unpacked into `dir`; returns its top directory.
fn unpacked(dir: &Path) -> std::path::PathBuf {
    let packaged = dist_under(&dir.join("build"));
    let file = fs::File::open(&packaged.archive).unwrap();
    tar::Archive::new(xz2::read::XzDecoder::new(file)).unpack(dir.join("x")).unwrap();
    let top = dir.join("x/python-3.13.5-wasm32-wasip1");
    verify::verify(&top).unwrap();
    top
}

fn failure(path: &Path) -> String {
    let error = verify::verify(path).err().expect("verify fails");
    let text = format!("{error:#}");
    assert!(!text.contains('\n'), "one line: {text}");
    text
}

#[test]
fn every_change_to_an_unpacked_dist_is_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let top = unpacked(dir.path());
    let os = top.join("lib/python3.13/os.py");

    fs::write(&os, "changed").unwrap();
    assert!(failure(&top).contains("lib/python3.13/os.py has sha256"));
    fs::remove_file(&os).unwrap();
    assert!(failure(&top).contains("lib/python3.13/os.py is in SHA256SUMS but not in the dist"));
    fs::write(&os, "").unwrap();
    verify::verify(&top).unwrap();

    // What the interpreter writes when it runs from the directory is not a change.
    fs::create_dir_all(top.join("lib/python3.13/__pycache__")).unwrap();
    fs::write(top.join("lib/python3.13/__pycache__/os.cpython-313.pyc"), "").unwrap();
    verify::verify(&top).unwrap();

    fs::write(top.join("lib/python3.13/added.py"), "").unwrap();
    assert!(failure(&top).contains("added.py is not in SHA256SUMS"));
    fs::remove_file(top.join("lib/python3.13/added.py")).unwrap();

    std::os::unix::fs::symlink("../../../../etc/passwd", top.join("bin/escape")).unwrap();
    assert!(failure(&top).contains("bin/escape links outside the package"));
    fs::remove_file(top.join("bin/escape")).unwrap();

    let sums = top.join("SHA256SUMS");
    let text = fs::read_to_string(&sums).unwrap();
    fs::write(&sums, format!("{text}not a line\x1b[31m\n")).unwrap();
    let message = failure(&top);
    assert!(message.contains("SHA256SUMS line") && !message.contains('\x1b'), "{message}");
    fs::write(&sums, text).unwrap();

    let provenance = top.join("provenance.intoto.json");
    fs::write(&provenance, "{}").unwrap();
    assert!(failure(&top).contains("provenance.intoto.json has sha256"));
}
