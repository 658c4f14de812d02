//! The target's configure command: what every toolchain family shares (the tree by a relative
//! path, --host/--build/--with-build-python, the target's flags, CONFIG_SITE, the prefix maps)
//! around what its driver adds.

use super::{env, BuildPlan, Driver};
use crate::process::{Cmd, Env};
use crate::source::SourceTree;
use crate::text::PathText;
use crate::workdir::{RunnerCommand, WorkDir};

/// `base` is the environment every step shares (env::base), in which config.guess runs.
pub fn command(
    work: &WorkDir,
    plan: &BuildPlan,
    driver: &dyn Driver,
    runner: &RunnerCommand,
    base: &Env,
) -> anyhow::Result<Cmd> {
    let target = plan.target;
    let mut configure_env = driver.configure_env(runner);
    let cflags = env::target_cflags(target.configure_cflags, plan.paths, &work.target_build);
    configure_env.insert("CFLAGS".into(), cflags);
    let site = env::config_site(&plan.source.root, target)?;
    configure_env.insert("CONFIG_SITE".into(), site.plain());
    let build = config_guess(plan.source, base)?;
    let command = driver.configure_program(&work.target_build, &configure_env);
    Ok(command
        .arg(env::configure_script(work, &plan.source.root).plain())
        .args([
            "-C".to_owned(),
            format!("--host={}", target.configure_host(plan.profile)),
            format!("--build={build}"),
            format!("--with-build-python={}", work.build_python.join("python").plain()),
        ])
        .args(target.configure_args.iter().map(|arg| arg.to_string()))
        .args(driver.configure_args()?)
        .args(env::library_configure_args(plan.libraries))
        .args(plan.configure_args.iter().cloned()))
}

fn config_guess(source: &SourceTree, env: &Env) -> anyhow::Result<String> {
    let guess = source.root.join("config.guess");
    Ok(Cmd::new("/bin/sh", &source.root, env).arg(guess.plain()).read()?.trim().to_owned())
}
