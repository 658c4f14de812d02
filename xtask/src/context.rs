//! The edge: flags and the environment are read here, once, and turned into plain values that
//! commands pass to the stages. Nothing below this reads the process environment.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::compiler_cache::CompilerCache;
use crate::fetch::cache::Cache;
use crate::fetch::mirror::Mirror;
use crate::fetch::progress::ProgressMode;
use crate::fetch::{network_settings, FetchSettings, Fetched, Fetcher};
use crate::flags::{CompilerCacheFlag, Global, MessageFormat, ProgressFlag};
use crate::manifest::Manifest;
use crate::process::Env;
use crate::text::PathText;

/// Everything a command needs from the outside world.
pub struct Context {
    pub workspace: PathBuf,
    pub manifest: Manifest,
    /// The manifest file and the overlays, in order (`pin` writes the last of them).
    pub manifest_file: PathBuf,
    pub overlays: Vec<PathBuf>,
    pub fetch: FetchSettings,
    pub message_format: MessageFormat,
    /// `-v`: lines that repeat on every run too.
    pub verbose: bool,
    /// The machine this runs on, as the manifest's `host` field names it (`x86_64-linux`).
    pub machine: String,
    /// The environment of the interpreter under `run` and `test`: a minimal PATH and the
    /// terminal's TERM.
    pub runner_env: Env,
    /// Parallel jobs when `--jobs` is not given: the number of cores.
    pub cores: usize,
    pub current_dir: PathBuf,
    /// This program, and the global flags it was given (with the cache dir made absolute): what
    /// `verify --rebuild` starts a fresh build with.
    pub exe: PathBuf,
    pub global_args: Vec<String>,
    /// `--compiler-cache` and its remote, if the build uses one.
    pub compiler_cache: Option<CompilerCache>,
}

impl Context {
    /// With `missing_overlay_ok`, an overlay that does not exist yet reads as empty.
    pub fn from_flags(
        global: &Global,
        env: BTreeMap<String, String>,
        missing_overlay_ok: bool,
    ) -> anyhow::Result<Context> {
        let workspace = workspace_root();
        let manifest_path = global.manifest.clone().unwrap_or_else(|| workspace.join("sdk-manifest.toml"));
        let mut manifest = Manifest::load(&manifest_path)?;
        for overlay in &global.overlay {
            if missing_overlay_ok && !overlay.exists() {
                continue;
            }
            for (name, host, lost) in manifest.apply_overlay(Manifest::load(overlay)?) {
                eprintln!(
                    "warning: the overlay {} replaces `{}` ({}) with an entry that no longer serves {}; add those lines to its `python` list to keep them",
                    crate::text::printable_path(overlay),
                    crate::text::printable(&name),
                    crate::text::printable(&host),
                    crate::text::printable(&lost)
                );
            }
        }
        let cache_root = match &global.cache_dir {
            Some(dir) => dir.clone(),
            None => default_cache_dir(&env)?,
        };
        let mirror = global.mirror.as_deref().filter(|m| !m.is_empty()).map(Mirror::parse);
        if let Some(Mirror::Dir(dir)) = &mirror {
            if !dir.is_dir() {
                return Err(crate::exit::fail(
                    crate::exit::Failure::Usage,
                    format!(
                        "--mirror {}: no such directory; give the directory `cargo xtask mirror export` wrote, or an http(s):// URL (docs/mirror.md)",
                        crate::text::printable_path(dir)
                    ),
                ));
            }
        }
        let fetch = FetchSettings {
            cache: Cache::new(absolute(&cache_root)),
            mirror,
            offline: global.offline,
            verify: global.verify,
            network: network_settings(&env, Duration::from_secs(global.timeout.max(1))),
            progress: progress_mode(global.progress, std::io::stderr().is_terminal()),
        };
        Ok(Context {
            workspace,
            manifest,
            manifest_file: absolute(&manifest_path),
            overlays: global.overlay.iter().map(|o| absolute(o)).collect(),
            fetch,
            message_format: global.message_format,
            verbose: global.verbose,
            machine: machine_triple(),
            runner_env: runner_env(&env),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            current_dir: std::env::current_dir().context("read the current directory")?,
            exe: std::env::current_exe().context("find this program's path")?,
            global_args: global_args(global, &absolute(&cache_root)),
            compiler_cache: compiler_cache(global, &absolute(&cache_root)),
        })
    }

    pub fn fetcher(&self) -> anyhow::Result<Fetcher> {
        Fetcher::new(self.fetch.clone())
    }

    /// A path from the command line, made absolute against the current directory.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        absolute(&self.current_dir.join(path))
    }

    /// Prints one fetched artifact on stdout, as `--message-format` asks (an event `fetched`).
    pub fn print_fetched(&self, fetched: &Fetched) {
        match self.message_format {
            MessageFormat::Json => crate::events::emit_record("fetched", fetched),
            MessageFormat::Human => {
                let how = if fetched.cached { "cached" } else { "fetched" };
                println!("{} {} {how} {}", fetched.name, fetched.version, fetched.path.shown());
            }
        }
    }
}

/// The global flags again, as arguments for a child run of this program.
/// The compiler cache the flags ask for: ccache from the system PATH (doctor's checks say when
/// it is missing), its objects in CACHE/ccache. A remote alone asks for ccache; `none` wins.
fn compiler_cache(global: &Global, cache: &Path) -> Option<CompilerCache> {
    let remote = global.compiler_cache_remote.as_deref().filter(|url| !url.is_empty());
    let wanted = match global.compiler_cache {
        Some(CompilerCacheFlag::None) => false,
        Some(CompilerCacheFlag::Ccache) => true,
        None => remote.is_some(),
    };
    if !wanted {
        return None;
    }
    let dirs = crate::process::SYSTEM_PATH.split(':').map(|dir| Path::new(dir).join("ccache"));
    let program = dirs.clone().find(|path| path.is_file()).unwrap_or_else(|| PathBuf::from("/usr/bin/ccache"));
    Some(CompilerCache {
        program,
        dir: cache.join("ccache"),
        remote: remote.and_then(|url| crate::compiler_cache::Remote::parse(url).ok()),
    })
}

fn global_args(global: &Global, cache: &Path) -> Vec<String> {
    let mut args = vec![];
    let path = |flag: &str, p: &Path| [flag.to_owned(), absolute(p).plain()];
    if let Some(manifest) = &global.manifest {
        args.extend(path("--manifest", manifest));
    }
    for overlay in &global.overlay {
        args.extend(path("--overlay", overlay));
    }
    if let Some(mirror) = global.mirror.as_deref().filter(|m| !m.is_empty()) {
        args.extend(["--mirror".to_owned(), mirror.to_owned()]);
    }
    args.extend(path("--cache-dir", cache));
    args.extend(["--timeout".to_owned(), global.timeout.to_string()]);
    if global.offline {
        args.push("--offline".into());
    }
    if global.verify {
        args.push("--verify".into());
    }
    args
}

fn progress_mode(flag: Option<ProgressFlag>, terminal: bool) -> ProgressMode {
    match flag {
        Some(ProgressFlag::Bar) => ProgressMode::Bar,
        Some(ProgressFlag::Lines) => ProgressMode::Lines,
        Some(ProgressFlag::Quiet) => ProgressMode::Quiet,
        None if terminal => ProgressMode::Bar,
        None => ProgressMode::Lines,
    }
}

/// The interpreter's environment: a minimal PATH and, for the terminal, TERM. Nothing else.
fn runner_env(env: &BTreeMap<String, String>) -> Env {
    let mut runner = Env::from([("PATH".to_owned(), "/usr/bin:/bin".to_owned())]);
    if let Some(term) = env.get("TERM") {
        runner.insert("TERM".into(), term.clone());
    }
    runner
}

fn default_cache_dir(env: &BTreeMap<String, String>) -> anyhow::Result<PathBuf> {
    if let Some(xdg) = env.get("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("cpython-wasm-xtask"));
    }
    dirs::cache_dir()
        .map(|d| d.join("cpython-wasm-xtask"))
        .context("no user cache directory; pass --cache-dir DIR or set BOOTSTRAP_CACHE_DIR")
}

/// The workspace root: the parent of the xtask crate.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

pub fn machine_triple() -> String {
    format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_interpreter_gets_term_and_nothing_else_of_the_user() {
        let runner = runner_env(&env(&[("TERM", "xterm"), ("PYTHONPATH", "/x"), ("LD_LIBRARY_PATH", "/y")]));
        assert_eq!(runner.keys().collect::<Vec<_>>(), ["PATH", "TERM"]);
    }

    #[test]
    fn progress_is_a_bar_only_on_a_terminal_unless_asked() {
        assert_eq!(progress_mode(None, true), ProgressMode::Bar);
        assert_eq!(progress_mode(None, false), ProgressMode::Lines);
        assert_eq!(progress_mode(Some(ProgressFlag::Quiet), true), ProgressMode::Quiet);
    }
}
