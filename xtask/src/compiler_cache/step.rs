//! The compiler cache in one build step: its settings for a step that runs, and the tally of
//! what ccache did, read from the step's stats log.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::CompilerCache;
use crate::process::Env;

/// How the steps of one configure/make pair use the compiler cache.
pub struct CacheUse<'a> {
    pub cache: Option<&'a CompilerCache>,
    /// The directory ccache's paths are relative to (the work dir).
    pub base_dir: PathBuf,
    /// What the cache adds to these steps' environment besides its settings.
    pub more: Env,
}

/// What a step that ran with the cache reports afterwards: whether the remote was used, and
/// ccache's stats log of the step.
pub struct CacheRun {
    remote: RemoteUse,
    stats: PathBuf,
}

/// Whether a step used the remote: there is none, it answered, or it was left out (down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemoteUse {
    None,
    Used,
    Down,
}

impl CacheUse<'_> {
    /// The settings for the step whose log is `log` (none without a cache). A remote that does
    /// not answer now is left out of this step, said once here rather than waited for by every
    /// compile. Called only for a step that runs.
    pub fn env(&self, name: &str, log: &Path) -> (Env, Option<CacheRun>) {
        let Some(cache) = self.cache else { return (Env::new(), None) };
        let remote = match &cache.remote {
            None => RemoteUse::None,
            Some(remote) => match remote.answers() {
                Ok(()) => RemoteUse::Used,
                Err(why) => {
                    eprintln!("build: {name}: the compiler cache's remote is left out of this step: {why}");
                    RemoteUse::Down
                }
            },
        };
        let stats = stats_log(log);
        let _ = crate::files::remove_file_if_exists(&stats);
        let mut env = cache.env(&self.base_dir, &stats, remote == RemoteUse::Used);
        env.extend(self.more.clone());
        (env, Some(CacheRun { remote, stats }))
    }

    /// The tally of a step that ran: a line and an event.
    pub fn report(name: &str, run: &CacheRun) -> anyhow::Result<()> {
        let text = crate::files::read_regular(&run.stats, 256 << 20)?.unwrap_or_default();
        let tally = tally(&String::from_utf8_lossy(&text));
        let rate = tally.hit_rate().map_or("no cacheable compiles".into(), |r| format!("{:.1} % hits", r * 100.0));
        let errors = match tally.remote_errors {
            0 => String::new(),
            n => format!(", {n} remote errors"),
        };
        eprintln!(
            "build: {name}: compiler cache {} hits ({} remote), {} misses, {} not cacheable: {rate}{errors}",
            tally.hits, tally.remote_hits, tally.misses, tally.uncacheable
        );
        crate::events::compiler_cache(name, &tally, run.remote);
        Ok(())
    }
}

/// What ccache did for the compiles of one step, read from its stats log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Compiles answered from the cache (local or remote).
    pub hits: u64,
    /// Of those, answered by the remote.
    pub remote_hits: u64,
    /// Compiles the compiler ran and the cache stored.
    pub misses: u64,
    /// Calls ccache passed on to the compiler (links, preprocessing, configure's failing
    /// checks).
    pub uncacheable: u64,
    /// Calls for which the remote failed (down, timed out, garbage).
    pub remote_errors: u64,
}

impl Tally {
    /// hits / (hits + misses), or none when nothing was cacheable.
    pub fn hit_rate(&self) -> Option<f64> {
        let cacheable = self.hits + self.misses;
        (cacheable > 0).then(|| self.hits as f64 / cacheable as f64)
    }
}

/// Reads ccache's stats log (`# FILE` then one counter name per line, per compile).
pub fn tally(text: &str) -> Tally {
    let mut tally = Tally::default();
    let mut counters: Vec<&str> = vec![];
    let finish = |counters: &mut Vec<&str>, tally: &mut Tally| {
        if counters.is_empty() {
            return;
        }
        let has = |name: &str| counters.contains(&name);
        if has("direct_cache_hit") || has("preprocessed_cache_hit") {
            tally.hits += 1;
            if has("remote_storage_hit") {
                tally.remote_hits += 1;
            }
        } else if has("cache_miss") {
            tally.misses += 1;
        } else {
            tally.uncacheable += 1;
        }
        if has("remote_storage_error") || has("remote_storage_timeout") {
            tally.remote_errors += 1;
        }
        counters.clear();
    };
    for line in text.lines() {
        if line.starts_with('#') {
            finish(&mut counters, &mut tally);
            counters.push("");
        } else if !line.trim().is_empty() {
            counters.push(line.trim());
        }
    }
    finish(&mut counters, &mut tally);
    tally
}

/// The stats log of a step, beside its log.
pub fn stats_log(log: &Path) -> PathBuf {
    log.with_extension("ccache-stats")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stats_log_counts_hits_misses_and_the_rest() {
        let log = "# ../t.c\ncache_miss\ndirect_cache_miss\nlocal_storage_write\n\
                   # ../t.c\ndirect_cache_hit\nlocal_storage_hit\n\
                   # ../u.c\ndirect_cache_hit\nremote_storage_hit\nremote_storage_read_hit\n\
                   # conftest.c\ncalled_for_link\n\
                   # x.c\npreprocessed_cache_miss\nremote_storage_error\ncache_miss\n";
        let tally = tally(log);
        assert_eq!(tally, Tally { hits: 2, remote_hits: 1, misses: 2, uncacheable: 1, remote_errors: 1 });
        assert_eq!(tally.hit_rate(), Some(0.5));
        assert_eq!(super::tally("").hit_rate(), None);
    }
}
