use crate::context::Context;
use crate::events::{self, Event};
use crate::exit::{fail, Failure};
use crate::flags::{self, TargetFlag};
use crate::selection::{targets_of, work_root};
use crate::text::PathText;
use crate::upkeep::doctor::{self, Places, Problem};

impl flags::Doctor {
    pub fn run(self, context: &Context) -> anyhow::Result<()> {
        let flags = if self.targets.is_empty() { vec![TargetFlag::Wasi] } else { self.targets.clone() };
        let targets = targets_of(&flags)?;
        let cache = &context.fetch.cache.root;
        let work = work_root(&self.work_dir, context);
        let state = context.compiler_cache.as_ref().map(|cache| crate::compiler_cache::state(cache, true));
        let compiler_cache = context.compiler_cache.as_ref().zip(state.as_ref());
        let places = Places { work: &work, cache, path: crate::process::SYSTEM_PATH, compiler_cache };
        let mut problems = doctor::host(&targets, &places);
        let (bytes, more) = doctor::cache(cache, &context.manifest);
        problems.extend(more);
        if let Some(dir) = &self.python_source {
            let dir = context.absolute(dir);
            let pins = crate::source::pins::read(&dir)?;
            problems.extend(doctor::tree(&pins, &dir, &context.manifest, &context.machine));
        }
        for problem in &problems {
            report(problem);
        }
        if let Some((cache, state)) = compiler_cache {
            eprintln!(
                "doctor: compiler cache {} ({}): {} MB in {}; remote {}",
                state.version.as_deref().unwrap_or("missing"),
                cache.program.shown(),
                state.bytes / 1_000_000,
                state.dir.shown(),
                match (&state.remote, &state.remote_down) {
                    (None, _) => "none".to_owned(),
                    (Some(url), None) => format!("{} answers", crate::text::printable(url)),
                    (Some(url), Some(_)) => format!("{} does not answer", crate::text::printable(url)),
                }
            );
            events::emit_record("compiler-cache-state", state);
        }
        let names: Vec<&str> = targets.iter().map(|t| t.name).collect();
        eprintln!(
            "doctor: {} for {}; cache {} ({} MB); {} problem(s), {} blocking",
            context.machine,
            names.join(", "),
            cache.shown(),
            bytes / 1_000_000,
            problems.len(),
            problems.iter().filter(|p| p.blocking).count()
        );
        blocking(&problems)
    }
}

/// One problem: an event, and a line on stderr.
pub fn report(problem: &Problem) {
    let level = if problem.blocking { "error" } else { "warning" };
    eprintln!("doctor: {level}: {}; {}", problem.problem, problem.fix);
    events::emit(&Event::Problem {
        check: problem.check,
        blocking: problem.blocking,
        problem: problem.problem.clone(),
        fix: problem.fix.clone(),
    });
}

/// An error (exit 7) if any problem blocks a build.
pub fn blocking(problems: &[Problem]) -> anyhow::Result<()> {
    let blocking: Vec<&Problem> = problems.iter().filter(|p| p.blocking).collect();
    match blocking.first() {
        None => Ok(()),
        Some(first) => Err(fail(
            Failure::Host,
            format!(
                "this machine cannot build yet: {}; {}{}",
                first.problem,
                first.fix,
                match blocking.len() {
                    1 => String::new(),
                    n => format!(" (and {} more: `cargo xtask doctor` lists them)", n - 1),
                }
            ),
        )),
    }
}
