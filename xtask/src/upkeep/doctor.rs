//! `doctor`: what this machine lacks for a build, found before anything is downloaded. Each
//! problem is one value (what, what to do, whether it blocks a build); bootstrap runs the
//! blocking checks ([`host`]) first.

use std::path::Path;

use crate::manifest::Manifest;
use crate::source::pins::TreePins;
use crate::target::Target;

use super::inventory::{self, Kind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Which check found it: `program`, `disk`, `cache`, `tree`.
    pub check: &'static str,
    pub blocking: bool,
    pub problem: String,
    pub fix: String,
}

/// Where a build would write, and the PATH its steps get.
pub struct Places<'a> {
    pub work: &'a Path,
    pub cache: &'a Path,
    pub path: &'a str,
    /// The compiler cache the build would use (`--compiler-cache`), and its state, read once.
    pub compiler_cache: Option<(&'a crate::compiler_cache::CompilerCache, &'a crate::compiler_cache::State)>,
}

/// The checks that block a build: host programs, free space and a writable cache.
pub fn host(targets: &[&Target], places: &Places) -> Vec<Problem> {
    let mut problems = vec![];
    let mut seen = vec![];
    for need in targets.iter().flat_map(|t| t.host) {
        if seen.contains(&need.programs) {
            continue;
        }
        seen.push(need.programs);
        if !need.programs.iter().any(|p| on_path(p, places.path)) {
            let names = need.programs.join(" or ");
            problems.push(Problem {
                check: "program",
                blocking: need.blocking,
                problem: format!("no `{names}` on {} ({})", places.path, need.why),
                fix: format!("install it (Debian: apt-get install {})", need.package),
            });
        }
    }
    problems.extend(writable(places.cache));
    if let Some((cache, state)) = places.compiler_cache {
        problems.extend(compiler_cache(cache, state));
    }
    // Targets of one toolchain share its install, the build Python and the library builds: the
    // need is the largest of each toolchain's targets, summed over the toolchains.
    let mut by_toolchain: Vec<(crate::target::ToolchainKind, crate::target::Disk)> = vec![];
    for target in targets {
        match by_toolchain.iter_mut().find(|(kind, _)| *kind == target.toolchain) {
            Some((_, disk)) => {
                disk.work_mb = disk.work_mb.max(target.disk.work_mb);
                disk.cache_mb = disk.cache_mb.max(target.disk.cache_mb);
            }
            None => by_toolchain.push((target.toolchain, target.disk)),
        }
    }
    let work_mb: u64 = by_toolchain.iter().map(|(_, d)| d.work_mb).sum();
    let cache_mb: u64 = by_toolchain.iter().map(|(_, d)| d.cache_mb).sum();
    for (dir, need_mb, flag) in [(places.work, work_mb, "--work-dir"), (places.cache, cache_mb, "--cache-dir")] {
        match crate::files::free_bytes(dir) {
            Ok(free) if free / 1_000_000 < need_mb => problems.push(Problem {
                check: "disk",
                blocking: true,
                problem: format!(
                    "{} has {} MB free; a first build of these targets needs about {need_mb} MB there",
                    crate::text::printable_path(dir),
                    free / 1_000_000
                ),
                fix: format!("free space there, or point {flag} at a larger disk"),
            }),
            Ok(_) => {}
            Err(error) => problems.push(Problem {
                check: "disk",
                blocking: false,
                problem: format!(
                    "cannot read the free space of {}: {}",
                    crate::text::printable_path(dir),
                    crate::text::printable(&crate::text::error_text(&error))
                ),
                fix: format!("check {flag}"),
            }),
        }
    }
    problems
}

/// The cache: leftovers of killed runs and partial downloads (harmless, reported) and entries
/// nothing pins (room `prune` would free). Never blocking.
pub fn cache(root: &Path, manifest: &Manifest) -> (u64, Vec<Problem>) {
    let entries = inventory::list(root, manifest, &[]);
    let total: u64 = entries.iter().map(|e| e.bytes).sum();
    let mut problems = vec![];
    let unpinned: Vec<_> = entries.iter().filter(|e| !e.pinned && e.kind != Kind::Leftover).collect();
    if !unpinned.is_empty() {
        let bytes: u64 = unpinned.iter().map(|e| e.bytes).sum();
        problems.push(Problem {
            check: "cache",
            blocking: false,
            problem: format!(
                "{} cache entries ({} MB) are pinned by nothing in the manifest and its overlays",
                unpinned.len(),
                bytes / 1_000_000
            ),
            fix: "see them with `cargo xtask prune --dry-run`; remove them with `cargo xtask prune`".into(),
        });
    }
    let leftovers: Vec<_> = entries.iter().filter(|e| e.kind == Kind::Leftover).collect();
    if !leftovers.is_empty() {
        problems.push(Problem {
            check: "cache",
            blocking: false,
            problem: format!("{} temporary directories of killed runs are in the cache", leftovers.len()),
            fix: "`cargo xtask prune` removes them (the next run of their entry would too)".into(),
        });
    }
    let partials: u64 = entries.iter().map(|e| e.partials).sum();
    if partials > 0 {
        problems.push(Problem {
            check: "cache",
            blocking: false,
            problem: format!("{partials} partial downloads are kept for resuming"),
            fix: "the next fetch of each resumes it; `cargo xtask prune` removes those nothing pins".into(),
        });
    }
    (total, problems)
}

/// A checkout's own toolchain pins (Platforms/*/config.toml) that the manifest lacks here.
pub fn tree(pins: &TreePins, tree: &Path, manifest: &Manifest, machine: &str) -> Vec<Problem> {
    crate::toolchains::tree_pins(pins)
        .into_iter()
        .filter(|pin| pin.entry(manifest, machine).is_none())
        .map(|pin| Problem {
            check: "tree",
            blocking: false,
            problem: format!(
                "the checkout pins {} {} (Platforms/*/config.toml); the manifest has none for {machine}",
                pin.component,
                crate::text::printable(pin.wanted)
            ),
            fix: format!(
                "`cargo xtask pin --from-tree {}` (or bootstrap --pin-missing), or give your own with --{} PATH",
                crate::text::printable_path(tree),
                pin.component
            ),
        })
        .collect()
}

/// The compiler cache asked for: ccache present (blocking), with Redis support when the remote
/// is a Redis (blocking), and the remote answering (a warning: builds go without it).
pub fn compiler_cache(
    cache: &crate::compiler_cache::CompilerCache,
    state: &crate::compiler_cache::State,
) -> Vec<Problem> {
    let problem =
        |blocking, problem: String, fix: &str| Problem { check: "compiler-cache", blocking, problem, fix: fix.into() };
    let Some(version) = &state.version else {
        let shown = crate::text::printable_path(&cache.program);
        return vec![problem(
            true,
            format!("--compiler-cache ccache: no ccache at {shown}"),
            "install it (Debian: apt-get install ccache), or drop --compiler-cache",
        )];
    };
    let mut problems = vec![];
    if cache.dir.symlink_metadata().is_ok() && !cache.dir.is_dir() {
        let shown = crate::text::printable_path(&cache.dir);
        let what = format!("the compiler cache's directory {shown} is not a directory");
        problems.push(problem(true, what, "remove it (or point --cache-dir elsewhere)"));
    }
    if let Some(remote) = &cache.remote {
        if remote.is_redis() && !state.redis {
            problems.push(problem(
                true,
                format!("{version} has no Redis storage, and --compiler-cache-remote is {}", remote.shown),
                "install a ccache built with hiredis (Debian bookworm's 4.7 is), or use an http:// remote",
            ));
        }
        if let Some(why) = &state.remote_down {
            problems.push(problem(
                false,
                format!("the compiler cache's remote does not answer: {why}"),
                "start it, or drop --compiler-cache-remote; builds go on without it",
            ));
        }
    }
    problems
}

fn on_path(program: &str, path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.split(':').any(|dir| {
        std::fs::metadata(Path::new(dir).join(program))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// The cache dir can be created and written (a read-only or foreign one fails here, not after a
/// download).
fn writable(cache: &Path) -> Option<Problem> {
    let tried = std::fs::create_dir_all(cache).and_then(|()| tempfile::tempfile_in(cache).map(drop));
    tried.err().map(|error| Problem {
        check: "cache",
        blocking: true,
        problem: format!("cannot write the cache dir {}: {error}", crate::text::printable_path(cache)),
        fix: "point --cache-dir (or BOOTSTRAP_CACHE_DIR) at a directory you can write".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_and_too_little_space_block_with_their_fix() {
        let dir = tempfile::tempdir().unwrap();
        let places =
            Places { work: dir.path(), cache: &dir.path().join("cache"), path: "/nonexistent", compiler_cache: None };
        let problems = host(&[&crate::target::EMSCRIPTEN_BROWSER], &places);
        let programs: Vec<(&str, bool)> =
            problems.iter().filter(|p| p.check == "program").map(|p| (p.fix.as_str(), p.blocking)).collect();
        assert_eq!(
            programs,
            [
                ("install it (Debian: apt-get install make)", true),
                ("install it (Debian: apt-get install gcc)", true),
                ("install it (Debian: apt-get install python3)", true),
                ("install it (Debian: apt-get install chromium)", false),
            ]
        );
        let found = host(&[&crate::target::WASI], &Places { path: crate::process::SYSTEM_PATH, ..places });
        assert!(found.iter().all(|p| p.check == "disk"), "{found:?}");
    }
}
