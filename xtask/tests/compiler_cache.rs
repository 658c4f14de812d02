//! The compiler cache through the real binary, on the miniature release (support/mini.rs), with
//! Debian's ccache and a real Redis (Debian's redis-server, started here on a free loopback port
//! with its data in the test's scratch dir): a second "buildbot" with its own cache dir and work
//! dir takes every object from the shared Redis and builds the same bytes as a build without a
//! cache; a Redis that is down or answers garbage changes nothing but the time; configure starts
//! from the seed of an earlier one with the same inputs, in that work dir's own paths; doctor
//! reports the cache's state.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::mini::Mini;
use support::schema::{events, parse_events};
use support::{hold, stderr, stdout, xtask};

/// Debian's redis-server on a free loopback port, stopped when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(dir: &Path) -> Redis {
        std::fs::create_dir_all(dir).unwrap();
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's package; .ci/run installs it)");
        let started = Instant::now();
        while !pong(port) {
            assert!(started.elapsed() < Duration::from_secs(10), "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Redis { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn pong(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let mut reply = [0; 5];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG"
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A bootstrap of the miniature release with its own cache and work dir; stdout's events.
fn bootstrap(mini: &Mini, cache: &str, work: &str, extra: &[&str]) -> (Vec<Value>, String) {
    let out = run(mini, "bootstrap", cache, work, extra);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    (parse_events(&events(), &stdout(&out)), err)
}

fn run(mini: &Mini, command: &str, cache: &str, work: &str, extra: &[&str]) -> Output {
    let (manifest, cache, work) = (mini.manifest.to_str().unwrap(), mini.path(cache), mini.path(work));
    let mut args =
        vec![command, "--manifest", manifest, "--progress", "lines", "--offline", "--message-format", "json"];
    args.extend(["--cache-dir", cache.to_str().unwrap()]);
    if command != "prune" {
        args.extend(["--work-dir", work.to_str().unwrap()]);
    }
    if command == "bootstrap" {
        args.extend(["--target", "wasi", "--python", "3.13", "--no-test"]);
    }
    args.extend_from_slice(extra);
    xtask(&args, &[])
}

/// The compiler-cache event of `step`.
fn tally<'a>(events: &'a [Value], step: &str) -> &'a Value {
    let found = events.iter().find(|e| e["event"] == "compiler-cache" && e["step"] == step);
    found.unwrap_or_else(|| panic!("no compiler-cache event for {step}: {events:?}"))
}

fn object(mini: &Mini, work: &str) -> Vec<u8> {
    std::fs::read(mini.path(work).join("wasi/module.o")).unwrap()
}

#[test]
fn a_second_buildbot_takes_every_object_from_the_shared_redis_and_builds_the_same_bytes() {
    let mini = Mini::new();
    let redis = Redis::start(&mini.path("redis"));
    let url = redis.url();
    let cached = ["--compiler-cache", "ccache", "--compiler-cache-remote", url.as_str()];
    let (first, err) = bootstrap(&mini, "cache-a", "work-a", &cached);
    let make = tally(&first, "make host");
    assert_eq!(
        (make["misses"].as_u64(), make["hits"].as_u64(), make["remote"].as_str()),
        (Some(1), Some(0), Some("used")),
        "{err}"
    );
    assert!(err.contains("build: make host: compiler cache 0 hits (0 remote), 1 misses"), "{err}");

    // Buildbot B: nothing of A's but the Redis.
    let (second, err) = bootstrap(&mini, "cache-b", "work-b", &cached);
    for step in ["make host", "make build python"] {
        let make = tally(&second, step);
        assert_eq!(make["misses"], 0, "{step}: {err}");
        assert!(make["hits"].as_u64() >= Some(1) && make["remote_hits"] == make["hits"], "{step}: {make}");
        assert_eq!(make["hit_rate"], 1.0);
    }

    // A build without a cache: the same object, byte for byte, and no compiler-cache events.
    let (plain, _) = bootstrap(&mini, "cache-c", "work-c", &[]);
    assert!(plain.iter().all(|e| e["event"] != "compiler-cache"));
    assert_eq!(object(&mini, "work-a"), object(&mini, "work-c"));
    assert_eq!(object(&mini, "work-b"), object(&mini, "work-c"));

    // The run record names the cache; the cache's settings are no input: turning it off
    // rebuilds nothing.
    let record: Value = serde_json::from_slice(&std::fs::read(mini.path("work-b/wasi/run.json")).unwrap()).unwrap();
    assert_eq!(record["compiler_cache"]["remote"], format!("{url}"));
    let (again, err) = bootstrap(&mini, "cache-b", "work-b", &["--compiler-cache", "none"]);
    assert!(again.iter().all(|e| e["event"] != "step-started" || e["stage"] != "build"), "{err}");

    // prune leaves the compiler cache and the configure seeds to the build: refused while a
    // build holds the cache, and never removed (ccache bounds its own size: CCACHE_MAXSIZE).
    let kept = |dir: &str| support::files_under(&mini.path("cache-b").join(dir)).len();
    let (objects, seeds) = (kept("ccache"), kept("configure"));
    assert!(objects > 0 && seeds > 0);
    let mut build = hold(&mini.path("cache-b/locks/in-use.lock"), true);
    let out = run(&mini, "prune", "cache-b", "", &[]);
    build.kill().unwrap();
    build.wait().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let out = run(&mini, "prune", "cache-b", "", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!((kept("ccache"), kept("configure")), (objects, seeds));
}

#[test]
fn a_redis_that_is_down_or_answers_garbage_changes_nothing_but_the_time() {
    let mini = Mini::new();
    let (_, _) = bootstrap(&mini, "cache-plain", "work-plain", &[]);
    let reference = object(&mini, "work-plain");

    // Down: nothing listens on the port.
    let closed = format!("redis://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let (down, err) = bootstrap(&mini, "cache-down", "work-down", &["--compiler-cache-remote", &closed]);
    assert!(started.elapsed() < Duration::from_secs(60), "{err}");
    assert_eq!(tally(&down, "make host")["remote"], "down", "{err}");
    assert!(err.contains("the compiler cache's remote is left out of this step"), "{err}");
    assert_eq!(object(&mini, "work-down"), reference);

    // Garbage: a listener that answers anything with an HTTP page.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let garbage = format!("redis://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n\x1b[2J<html>");
        }
    });
    let (answered, err) = bootstrap(&mini, "cache-garbage", "work-garbage", &["--compiler-cache-remote", &garbage]);
    assert_eq!(tally(&answered, "make host")["remote"], "down", "{err}");
    assert!(!err.contains('\x1b'), "the garbage is escaped: {err}");
    assert_eq!(object(&mini, "work-garbage"), reference);

    // Stopped between steps of one build: the rest of the build goes on without it.
    let mut redis = Redis::start(&mini.path("redis"));
    let url = redis.url();
    redis.stop();
    let (stopped, err) = bootstrap(&mini, "cache-stopped", "work-stopped", &["--compiler-cache-remote", &url]);
    assert_eq!(tally(&stopped, "make host")["remote"], "down", "{err}");
    assert_eq!(object(&mini, "work-stopped"), reference);
}

#[test]
fn configure_starts_from_the_seed_of_an_earlier_one_in_its_own_paths() {
    let mini = Mini::new();
    let (first, _) = bootstrap(&mini, "cache", "work-1", &[]);
    let seeded = |events: &[Value], step: &str| {
        events.iter().find(|e| e["event"] == "configure-seed" && e["step"] == step).map(|e| e["seeded"].clone())
    };
    assert_eq!(seeded(&first, "configure host"), Some(Value::Bool(false)));
    let (second, err) = bootstrap(&mini, "cache", "work-2", &[]);
    assert_eq!(seeded(&second, "configure host"), Some(Value::Bool(true)), "{err}");
    assert_eq!(seeded(&second, "configure build python"), Some(Value::Bool(true)), "{err}");
    // The mini configure keeps the seed it found: the first work dir's answer, in the second's path.
    let planted = std::fs::read_to_string(mini.path("work-2/wasi/config.seeded")).unwrap();
    assert_eq!(planted.trim(), format!("ac_cv_build_dir={}", mini.path("work-2/wasi").to_str().unwrap()));
    // Other configure arguments: another seed.
    let (third, _) = bootstrap(&mini, "cache", "work-3", &["--configure-arg=--with-pydebug"]);
    assert_eq!(seeded(&third, "configure host"), Some(Value::Bool(false)));
    assert_eq!(seeded(&third, "configure build python"), Some(Value::Bool(true)));
}

#[test]
fn doctor_reports_the_compiler_cache_and_flags_are_checked_when_read() {
    let mini = Mini::new();
    let redis = Redis::start(&mini.path("redis"));
    let state = |remote: &str| {
        let out = run(&mini, "doctor", "cache", "work", &["--compiler-cache-remote", remote]);
        let events = parse_events(&events(), &stdout(&out));
        let state = events.iter().find(|e| e["event"] == "compiler-cache-state").cloned();
        (out, events, state.unwrap_or_else(|| panic!("no compiler-cache-state event")))
    };
    let (out, _, up) = state(&redis.url());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(up["version"].as_str().unwrap().starts_with("ccache version 4."), "{up}");
    assert_eq!((up["redis"].clone(), up["remote_down"].clone()), (Value::Bool(true), Value::Null));

    let closed = format!("redis://127.0.0.1:{}", free_port());
    let (out, events, down) = state(&closed);
    assert!(out.status.success(), "a remote that is down blocks nothing: {}", stderr(&out));
    assert!(down["remote_down"].is_string(), "{down}");
    assert!(events.iter().any(|e| e["event"] == "problem" && e["check"] == "compiler-cache" && e["blocking"] == false));

    for (flag, value) in [("--compiler-cache-remote", "ftp://cache:1"), ("--compiler-cache", "sccache")] {
        let out = run(&mini, "doctor", "cache", "work", &[flag, value]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
    }
}

#[test]
fn a_file_planted_in_the_cache_costs_a_seed_or_stops_the_build_before_it_starts() {
    let mini = Mini::new();
    // A file where the seeds go: configure runs cold, the build goes on, one warning.
    std::fs::create_dir_all(mini.path("cache")).unwrap();
    std::fs::write(mini.path("cache/configure"), "planted").unwrap();
    let (ran, err) = bootstrap(&mini, "cache", "work", &[]);
    assert!(err.contains("answers are not kept for the next work dir"), "{err}");
    assert!(ran.last().unwrap()["ok"].as_bool().unwrap());
    assert!(mini.path("work/wasi/module.o").is_file());

    // A file where ccache keeps its objects: stopped by the pre-flight, nothing built.
    std::fs::write(mini.path("cache/ccache"), "planted").unwrap();
    let out = run(&mini, "bootstrap", "cache", "work-2", &["--compiler-cache", "ccache"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let found = parse_events(&events(), &stdout(&out));
    assert!(found.iter().any(|e| e["event"] == "problem" && e["check"] == "compiler-cache" && e["blocking"] == true));
    assert!(!mini.path("work-2/wasi").exists());
}
