//! wasmtime, and the runner command line for each wasmtime CLI era.
//!
//! Eras: ≤13 `--mapdir GUEST::HOST`; 14+ `--dir HOST::GUEST` and `-W/--wasm` options. The guest
//! stack is the caller's (each CPython line's, in line.rs).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::process::{Cmd, Env};
use crate::text::PathText;
use crate::workdir::DirSyntax;

#[derive(Debug, Clone)]
pub struct Wasmtime {
    pub binary: PathBuf,
    pub version: (u32, u32, u32),
}

impl Wasmtime {
    pub fn open(binary: &Path, probe_env: &Env) -> anyhow::Result<Wasmtime> {
        if !binary.is_file() {
            bail!(
                "wasmtime not found at {}; pass --wasmtime PATH or drop it to use the pinned release",
                binary.shown()
            );
        }
        let dir = binary.parent().unwrap_or(Path::new("/"));
        let text = Cmd::new(binary, dir, probe_env).arg("--version").read()?;
        let version =
            parse_version(&text).with_context(|| format!("unexpected `wasmtime --version` output: {}", text.trim()))?;
        Ok(Wasmtime { binary: binary.to_owned(), version })
    }

    pub fn version_string(&self) -> String {
        format!("{}.{}.{}", self.version.0, self.version.1, self.version.2)
    }

    /// `--argv0` exists from wasmtime 24; before it the guest sees only the module's file name.
    pub fn sets_argv0(&self) -> bool {
        self.version.0 >= 24
    }

    /// How this wasmtime spells a directory map.
    pub fn dir_syntax(&self) -> DirSyntax {
        match self.version.0 >= 14 {
            true => DirSyntax::Dir,
            false => DirSyntax::Mapdir,
        }
    }

    /// `wasmtime run …` up to (not including) the directories and the module: stack size, argv0
    /// and environment.
    pub fn runner_args(&self, stack: u64, argv0: &str, env: &[(String, String)]) -> Vec<String> {
        let mut args = vec!["run".to_owned()];
        let modern = self.version.0 >= 14;
        if modern {
            args.push(format!("--wasm=max-wasm-stack={stack}"));
        }
        if self.sets_argv0() {
            args.push(format!("--argv0={argv0}"));
        }
        for (name, value) in env {
            args.push(format!("--env={name}={value}"));
        }
        args
    }
}

fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text.split_whitespace().nth(1)?;
    let mut parts = word.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wasmtime(major: u32) -> Wasmtime {
        Wasmtime { binary: "/w".into(), version: (major, 0, 0) }
    }

    #[test]
    fn version_is_read_from_the_banner() {
        assert_eq!(parse_version("wasmtime 49.0.3 (d6b2f1b 2025-01-20)\n"), Some((49, 0, 3)));
        assert_eq!(parse_version("wasmtime-cli 13.0.1\n"), Some((13, 0, 1)));
        assert_eq!(parse_version("nonsense"), None);
    }

    #[test]
    fn modern_cli_takes_wasm_options_and_argv0() {
        let env = vec![("PYTHONPATH".to_owned(), "/Lib".to_owned())];
        let args = wasmtime(49).runner_args(8_388_608, "/b/python.wasm", &env);
        assert_eq!(args, ["run", "--wasm=max-wasm-stack=8388608", "--argv0=/b/python.wasm", "--env=PYTHONPATH=/Lib"]);
        let args = wasmtime(20).runner_args(16_777_216, "p", &[]);
        assert_eq!(args, ["run", "--wasm=max-wasm-stack=16777216"], "no --argv0 before 24");
        assert_eq!(wasmtime(14).dir_syntax(), DirSyntax::Dir);
    }

    #[test]
    fn old_cli_uses_mapdir_guest_first() {
        assert_eq!(wasmtime(13).runner_args(8_388_608, "p", &[]), ["run"]);
        let dir = crate::workdir::DirMap { host: "/src".into(), guest: "/".into() };
        assert_eq!(wasmtime(13).dir_syntax().render(&dir), "--mapdir=/::/src");
    }
}
