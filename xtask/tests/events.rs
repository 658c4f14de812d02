//! The unattended surface through the real binary, on the miniature release (support/mini.rs):
//! `--message-format json` events checked against docs/events.schema.json, exit codes that tell
//! failures apart, `--step-timeout` and a signal stopping a step's whole process group, `doctor`
//! and `prune` against real caches and real locks (util-linux `flock` holding them).

mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::mini::Mini;
use support::schema::{self, parse_events};
use support::{hold, stderr, stdout};

fn events(out: &Output) -> Vec<Value> {
    parse_events(&schema::events(), &stdout(out))
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// The last event, which every run ends with.
fn result(events: &[Value]) -> &Value {
    let last = events.last().expect("a run prints events");
    assert_eq!(last["event"], "result", "{events:?}");
    last
}

const JSON: [&str; 2] = ["--message-format", "json"];

#[test]
fn a_bootstrap_charts_its_steps_from_events_and_a_no_op_skips_every_one() {
    let mini = Mini::new();
    let out = mini.xtask("bootstrap", &[&JSON[..], &["--no-test"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let first = events(&out);
    assert_eq!(first[0]["event"], "start");
    assert_eq!(first[0]["command"], "bootstrap");
    let finished: Vec<(&str, &str)> = of_kind(&first, "step-finished")
        .iter()
        .map(|e| (e["stage"].as_str().unwrap(), e["step"].as_str().unwrap()))
        .filter(|(stage, _)| *stage == "build")
        .collect();
    let build = ["configure build python", "make build python", "configure host", "make host"];
    assert_eq!(finished, build.map(|s| ("build", s)));
    for stage in ["fetch", "source", "toolchain", "deps", "build"] {
        assert!(of_kind(&first, "step-finished").iter().any(|e| e["stage"] == stage), "no {stage} step ran");
    }
    // Every build step names its log, which exists.
    for event in of_kind(&first, "step-finished").iter().filter(|e| e["stage"] == "build") {
        assert!(Path::new(event["log"].as_str().unwrap()).is_file(), "{event}");
        assert_eq!(event["target"], "wasi");
    }
    assert_eq!(result(&first)["ok"], true);
    assert_eq!(result(&first)["exit_code"], 0);

    let out = mini.xtask("bootstrap", &[&JSON[..], &["--no-test"]].concat());
    let again = events(&out);
    assert!(out.status.success());
    assert!(
        of_kind(&again, "step-started").iter().all(|e| e["stage"] == "check" || e["stage"] == "patch"),
        "{again:?}"
    );
    let skipped: Vec<&str> = of_kind(&again, "step-skipped")
        .iter()
        .filter(|e| e["stage"] == "build")
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, build);
}

#[test]
fn exit_codes_tell_a_usage_an_input_a_network_a_build_a_test_and_a_host_failure_apart() {
    let mini = Mini::new();
    let code = |out: &Output| (out.status.code(), result(&events(out))["failure"].clone());

    let usage = mini.xtask_from("bootstrap", &["--python", "three"], &JSON);
    assert_eq!(code(&usage), (Some(2), "usage".into()), "{}", stderr(&usage));
    assert!(stderr(&usage).contains("--python"), "the flag is named: {}", stderr(&usage));

    let work = mini.path("work").display().to_string();
    let input = mini.xtask_from("bootstrap", &["--work-dir", &work, "--python", "3.16"], &JSON);
    assert_eq!(code(&input), (Some(3), "input".into()));
    assert!(stderr(&input).contains("--python-source DIR"), "{}", stderr(&input));

    // A pin whose server does not answer: a closed loopback port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let text = fs::read_to_string(&mini.manifest).unwrap();
    let start = text.find("url = \"file://").unwrap();
    let end = start + text[start..].find(".tar.gz\"").unwrap();
    let unreachable = mini.path("unreachable.toml");
    fs::write(
        &unreachable,
        text.replacen(&text[start..end], &format!("url = \"http://127.0.0.1:{closed}/Python-3.13.99"), 1),
    )
    .unwrap();
    let cache = mini.path("net-cache").display().to_string();
    let manifest = unreachable.display().to_string();
    let args =
        [&JSON[..], &["fetch", "cpython-3.13", "--manifest", &manifest, "--cache-dir", &cache, "--timeout", "2"]];
    let network = support::xtask(&args.concat(), &[]);
    assert_eq!(code(&network), (Some(4), "network".into()), "{}", stderr(&network));
    assert!(stderr(&network).contains("--mirror"), "no network: the advice names a mirror: {}", stderr(&network));

    // The smoke test runs the miniature interpreter, which prints no `smoke ok`: the build is
    // done, the test fails.
    let test = mini.xtask("bootstrap", &JSON);
    let events_seen = events(&test);
    assert_eq!(code(&test), (Some(6), "test".into()), "{}", stderr(&test));
    let failed = of_kind(&events_seen, "step-failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(
        (&failed[0]["stage"], &failed[0]["step"], &failed[0]["failure"]),
        (&"test".into(), &"smoke test".into(), &"test".into())
    );

    fs::write(mini.source_file(), "int main(void) { return syntax error; }\n").unwrap();
    let build = mini.xtask("bootstrap", &[&JSON[..], &["--no-test"]].concat());
    let events_seen = events(&build);
    assert_eq!(code(&build), (Some(5), "build".into()), "{}", stderr(&build));
    let failed = of_kind(&events_seen, "step-failed");
    // The build Python compiles the same file first.
    assert_eq!(failed[0]["step"], "make build python");
    assert!(Path::new(failed[0]["log"].as_str().unwrap()).is_file());

    // A cache dir that cannot be made (under a plain file) blocks before anything is fetched.
    fs::write(mini.path("plain-file"), "").unwrap();
    let blocked = mini.path("plain-file/cache").display().to_string();
    let host = support::xtask(
        &[&JSON[..], &["bootstrap", "--cache-dir", &blocked, "--manifest", &mini.manifest.display().to_string()]]
            .concat(),
        &[],
    );
    assert_eq!(code(&host), (Some(7), "host".into()), "{}", stderr(&host));
    let problems = events(&host);
    let problem = of_kind(&problems, "problem");
    assert_eq!((&problem[0]["check"], &problem[0]["blocking"]), (&"cache".into(), &true.into()));
    assert!(problem[0]["fix"].as_str().unwrap().contains("--cache-dir"));
    assert!(of_kind(&problems, "step-started").iter().all(|e| e["stage"] == "check"), "nothing ran after the check");
    // fetch names the flag too.
    let fetch = support::xtask(
        &[&JSON[..], &["fetch", "zlib", "--cache-dir", &blocked, "--manifest", &mini.manifest.display().to_string()]]
            .concat(),
        &[],
    );
    assert_eq!(code(&fetch), (Some(7), "host".into()), "{}", stderr(&fetch));
    assert!(stderr(&fetch).contains("point --cache-dir"), "{}", stderr(&fetch));
}

/// A checkout of the miniature release whose configure runs `sleep SECONDS` as a grandchild.
fn slow_checkout(mini: &Mini, seconds: &str) -> String {
    assert!(mini.bootstrap(&[]).0.len() == 4);
    let checkout = mini.path("slow");
    let out = Command::new("cp").arg("-a").arg(mini.path("work/src/Python-3.13.99")).arg(&checkout).status().unwrap();
    assert!(out.success());
    let configure = checkout.join("configure");
    fs::write(&configure, format!("#!/bin/sh\nsleep {seconds} &\nwait\n")).unwrap();
    checkout.display().to_string()
}

/// Processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    let mut found = vec![];
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = fs::read(entry.path().join("cmdline")) {
            let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if text.contains(marker) {
                found.push(text);
            }
        }
    }
    found
}

#[test]
fn a_step_over_its_timeout_is_stopped_with_its_whole_process_group() {
    let mini = Mini::new();
    let checkout = slow_checkout(&mini, "31.7");
    let work = mini.path("slow-work").display().to_string();
    let started = Instant::now();
    let source = ["--work-dir", &work, "--python-source", &checkout];
    let out = mini.xtask_from("bootstrap", &source, &[&JSON[..], &["--no-test", "--step-timeout", "2s"]].concat());
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(124), "{}", stderr(&out));
    let seen = events(&out);
    let failed = of_kind(&seen, "step-failed");
    assert_eq!((&failed[0]["step"], &failed[0]["failure"]), (&"configure build python".into(), &"timeout".into()));
    assert_eq!(processes_with("sleep 31.7"), Vec::<String>::new(), "the step's grandchild outlived it");
}

/// SIGTERM (as supervisors send), SIGINT and SIGHUP to the tool alone: its step's whole process
/// group is stopped and waited for, and only then is the work dir released.
#[test]
fn a_signal_to_the_tool_stops_the_step_s_group_before_the_work_dir_is_released() {
    for (signal, seconds) in [(libc::SIGTERM, "32.3"), (libc::SIGINT, "32.4"), (libc::SIGHUP, "32.5")] {
        signal_during_configure(signal, seconds);
    }
}

fn signal_during_configure(signal: i32, seconds: &str) {
    let mini = Mini::new();
    let checkout = slow_checkout(&mini, seconds);
    let marker = format!("sleep {seconds}");
    let (work, cache) = (mini.path("slow-work"), mini.path("cache").display().to_string());
    let manifest = mini.manifest.display().to_string();
    let args = [
        "bootstrap",
        "--manifest",
        &manifest,
        "--offline",
        "--cache-dir",
        &cache,
        "--target",
        "wasi",
        "--no-test",
        "--work-dir",
        &work.display().to_string(),
        "--python-source",
        &checkout,
        "--message-format",
        "json",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = vec![];
    for line in lines.by_ref() {
        let line = line.unwrap();
        let started = line.contains(r#""step":"configure build python""#) && line.contains("step-started");
        seen.push(line);
        if started {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(processes_with(&marker).len(), 1, "the step is running: {seen:?}");
    // SAFETY: signals the child this test started.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
    seen.extend(lines.map(|l| l.unwrap()));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "signal {signal}: {seen:?}");
    assert_eq!(processes_with(&marker), Vec::<String>::new(), "signal {signal}: the step outlived the tool");
    let last: Value = serde_json::from_str(seen.last().unwrap()).unwrap();
    assert_eq!(last["failure"], "interrupted");
    // The work dir is free again, and the interrupted step is not recorded as done.
    let lock = fs::OpenOptions::new().write(true).open(work.join(".lock")).unwrap();
    assert!(lock.try_lock().is_ok());
    assert!(!fs::read_dir(work.join("stamps"))
        .map(|d| d.flatten().any(|e| e.file_name() == "configure build python"))
        .unwrap_or(false));
}

#[test]
fn doctor_reports_the_cache_and_prune_removes_only_what_nothing_pins_and_nobody_holds() {
    let mini = Mini::new();
    mini.bootstrap(&[]);
    let cache = mini.path("cache");
    fs::create_dir_all(cache.join("toolchains/.wasmtime-49.0.3-deadbeef0000.tmp-killed")).unwrap();
    let text = fs::read_to_string(&mini.manifest).unwrap();
    let without_zlib: Vec<&str> = text.split("[[artifact]]").filter(|b| !b.contains("name = \"zlib\"")).collect();
    let narrow = mini.path("no-zlib.toml");
    fs::write(&narrow, without_zlib.join("[[artifact]]")).unwrap();
    let (narrow, cache_flag) = (narrow.display().to_string(), cache.display().to_string());
    let run = |args: &[&str]| {
        support::xtask(&[&JSON[..], args, &["--manifest", &narrow, "--cache-dir", &cache_flag]].concat(), &[])
    };

    let out = run(&["doctor"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let problems: Vec<(String, bool)> = of_kind(&events(&out), "problem")
        .iter()
        .map(|p| (p["check"].as_str().unwrap().to_owned(), p["blocking"].as_bool().unwrap()))
        .collect();
    assert_eq!(problems, [("cache".to_owned(), false), ("cache".to_owned(), false)], "{}", stderr(&out));

    let out = run(&["prune", "--dry-run"]);
    let would: Vec<String> =
        of_kind(&events(&out), "pruned").iter().map(|p| p["why"].as_str().unwrap().to_owned()).collect();
    assert_eq!(would.len(), 3, "zlib's download, zlib's build, the leftover: {would:?}");
    assert!(cache.join("toolchains/.wasmtime-49.0.3-deadbeef0000.tmp-killed").is_dir(), "a dry run removes nothing");

    // A running bootstrap holds the cache shared: prune refuses.
    let mut bootstrap = hold(&cache.join("locks/in-use.lock"), true);
    let out = run(&["prune"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    bootstrap.kill().unwrap();
    bootstrap.wait().unwrap();

    // A run making zlib's build holds its lock: that entry is skipped, the rest removed.
    let deps = cache.join("deps/wasm32-wasip1");
    let zlib_build =
        fs::read_dir(&deps).unwrap().flatten().find(|e| e.file_name().to_string_lossy().starts_with("zlib-")).unwrap();
    let mut maker = hold(&deps.join(format!(".{}.lock", zlib_build.file_name().to_string_lossy())), false);
    let out = run(&["prune"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(of_kind(&events(&out), "pruned").len(), 2);
    assert!(zlib_build.path().is_dir(), "a held entry stays");
    assert!(!cache.join("toolchains/.wasmtime-49.0.3-deadbeef0000.tmp-killed").exists());
    maker.kill().unwrap();
    maker.wait().unwrap();

    // What the full manifest pins is still there: the next bootstrap fetches zlib again and
    // builds nothing else.
    let (ran, _) = mini.bootstrap(&[]);
    assert!(ran.is_empty(), "{ran:?}");

    let out = run(&["prune", "--work-dir", &mini.path("plain").display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "not a work dir: {}", stderr(&out));
    let work = mini.path("work").display().to_string();
    let out = run(&["prune", "--work-dir", &work]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!mini.path("work/wasi").exists() && mini.path("work/.lock").is_file());
}

#[test]
fn doctor_names_what_a_checkout_pins_and_the_manifest_lacks() {
    let mini = Mini::new();
    let tree = mini.path("tree");
    fs::create_dir_all(tree.join("Platforms/WASI")).unwrap();
    fs::write(tree.join("Platforms/WASI/config.toml"), "[targets]\nwasi-sdk = 99\n").unwrap();
    let tree_flag = tree.display().to_string();
    let out = mini.xtask_from("doctor", &[], &[&JSON[..], &["--python-source", &tree_flag]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = events(&out);
    let problem = of_kind(&seen, "problem").into_iter().find(|p| p["check"] == "tree").expect("a tree problem");
    assert!(problem["problem"].as_str().unwrap().contains("wasi-sdk 99"), "{problem}");
    assert!(problem["fix"].as_str().unwrap().contains("cargo xtask pin --from-tree"), "{problem}");
}

#[test]
fn errors_lead_the_right_way() {
    let mini = Mini::new();
    let work = mini.path("work").display().to_string();
    let run = |source: &[&str], extra: &[&str]| {
        let out = mini.xtask_from("bootstrap", &[&["--work-dir", &work][..], source].concat(), extra);
        (out.status.code(), stderr(&out))
    };
    // Too old a line is a usage error that says which lines are built.
    let (code, err) = run(&["--python", "3.9"], &[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("3.11 and later") && err.contains("--python"), "{err}");
    // A mistyped mirror directory is named as such, not as an artifact missing from it.
    let (code, err) = run(&["--python", "3.13"], &["--mirror", "/nonexistent/mirror"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--mirror /nonexistent/mirror: no such directory"), "{err}");
    // An overlay that replaces an entry with a narrower one says so, once.
    let overlay = mini.path("narrow.toml");
    let text = fs::read_to_string(&mini.manifest).unwrap();
    let wasmtime = text.split("[[artifact]]").find(|b| b.contains("name = \"wasmtime\"")).unwrap();
    let narrowed = wasmtime.replace("python = [\"3.13\"]", "python = [\"3.12\"]");
    fs::write(&overlay, format!("schema = 1\n[[artifact]]{narrowed}")).unwrap();
    let overlay_flag = overlay.display().to_string();
    let (code, err) = run(&["--python", "3.13"], &["--overlay", &overlay_flag, "--no-test"]);
    assert_ne!(code, Some(0));
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("no longer serves CPython 3.13")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains("`wasmtime`") && warnings[0].contains("narrow.toml"), "{err}");
}

#[test]
fn a_server_that_never_answers_fails_after_two_waits_not_five() {
    let mini = Mini::new();
    // Takes connections (the kernel's backlog) and never reads or answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cache = mini.path("cache").display().to_string();
    let manifest = mini.manifest.display().to_string();
    let mirror = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let args = ["fetch", "zlib", "--manifest", &manifest, "--cache-dir", &cache, "--mirror", &mirror, "--timeout", "2"];
    let out = support::xtask(&[&JSON[..], &args].concat(), &[]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(took < Duration::from_secs(8), "two waits of 2 s, not five: {took:?}");
    let err = stderr(&out);
    assert!(err.contains("no response from") && err.contains("--timeout"), "{err}");
    drop(listener);
}
