#![allow(dead_code)]

pub mod mini;
pub mod schema;
pub mod server;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A real .tar.gz holding `top/` with one file of `size` pseudo-random bytes.
pub fn tar_gz(top: &str, size: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(size);
    let mut x: u32 = 0x1234_5678;
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(size);
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, format!("{top}/data.bin"), data.as_slice()).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

pub struct Entry<'a> {
    pub name: &'a str,
    pub url: String,
    pub body: &'a [u8],
    pub size: bool,
}

pub fn manifest(dir: &Path, entries: &[Entry]) -> PathBuf {
    let mut text = String::from("schema = 1\n");
    for e in entries {
        text += &format!(
            "\n[[artifact]]\nname = \"{}\"\nversion = \"1.0\"\nurl = \"{}\"\nsha256 = \"{}\"\n",
            e.name,
            e.url,
            sha256(e.body)
        );
        if e.size {
            text += &format!("size = {}\n", e.body.len());
        }
    }
    let path = dir.join("manifest.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs the real xtask binary with a scrubbed environment plus `env`.
pub fn xtask(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.env_clear().env("PATH", "/usr/bin:/bin").env("HOME", "/nonexistent").args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every regular file under `dir`, for "nothing was left behind" checks.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Holds `lock` with util-linux flock (`-s`: shared) until the returned child is killed.
pub fn hold(lock: &Path, shared: bool) -> std::process::Child {
    use std::fs;
    use std::time::{Duration, Instant};
    let mut command = Command::new("flock");
    // -o: the lock is flock's own, not inherited by the sleep, so killing flock frees it.
    command.arg("-o");
    if shared {
        command.arg("-s");
    }
    let mut child = command.arg(lock).args(["sleep", "60"]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    // Wait until the lock is taken.
    while Instant::now() < deadline {
        let file = fs::OpenOptions::new().write(true).create(true).truncate(false).open(lock).unwrap();
        if file.try_lock().is_err() {
            return child;
        }
        drop(file);
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    panic!("flock never took {lock:?}");
}
