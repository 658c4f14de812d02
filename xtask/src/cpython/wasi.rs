//! The WASI driver: the SDK's clang for configure and make, wasmtime as the runner, and after
//! make the guest's `/`.

use std::path::{Path, PathBuf};

use super::env::{guest_dirs, library_flags, make_guest_root, module};
use super::steps::Steps;
use super::{BuildPlan, Driver};
use crate::deps::Library;
use crate::process::{Cmd, Env, SYSTEM_PATH};
use crate::text::PathText;
use crate::toolchains::wasi_sdk::WasiSdk;
use crate::toolchains::wasmtime::Wasmtime;
use crate::workdir::{RunnerCommand, WorkDir};

pub struct Wasi<'a> {
    work: &'a WorkDir,
    sdk: &'a WasiSdk,
    wasmtime: &'a Wasmtime,
    /// The guest stack the line's own runner asks for, and the line's extra configure answers.
    stack: u64,
    line_configure: &'static [&'static str],
    /// The build's stdlib directory (`build/lib.wasi-wasm32-X.Y`) and the tree's `Lib/`.
    pybuilddir: PathBuf,
    lib: PathBuf,
    programs: &'static [&'static str],
    libraries: &'a [Library],
    base: Env,
}

impl<'a> Wasi<'a> {
    pub fn new(work: &'a WorkDir, plan: &BuildPlan<'a>, sdk: &'a WasiSdk, wasmtime: &'a Wasmtime, base: Env) -> Self {
        let line = plan.source.line;
        Wasi {
            work,
            sdk,
            wasmtime,
            stack: plan.profile.wasi_stack,
            line_configure: plan.profile.wasi_configure,
            pybuilddir: work.target_build.join(format!("build/lib.wasi-wasm32-{line}")),
            lib: plan.source.root.join("Lib"),
            programs: plan.target.programs,
            libraries: plan.libraries,
            base,
        }
    }
}

impl Driver for Wasi<'_> {
    fn runner(&self) -> RunnerCommand {
        let module = module(self.work, self.programs);
        // The sysconfig data, as CPython's own WASI runner passes it; a wasmtime without --argv0
        // also needs the stdlib named.
        let mut pythonpath = self.pybuilddir.plain();
        if !self.wasmtime.sets_argv0() {
            pythonpath = format!("{pythonpath}:{}", self.lib.plain());
        }
        let env = [("PYTHONPATH".to_owned(), pythonpath)];
        let args = self.wasmtime.runner_args(self.stack, &module.plain(), &env);
        let (dirs, dir_syntax) = (guest_dirs(self.work), self.wasmtime.dir_syntax());
        RunnerCommand { program: self.wasmtime.binary.clone(), args, module, dirs, dir_syntax, ..Default::default() }
    }

    fn configure_env(&self, runner: &RunnerCommand) -> Env {
        let sdk = self.sdk;
        let sysroot = sdk.sysroot();
        let mut env = self.base.clone();
        env.insert("PATH".into(), format!("{}:{SYSTEM_PATH}", sdk.root.join("bin").plain()));
        env.insert("CC".into(), sdk.compiler("clang"));
        env.insert("CPP".into(), sdk.compiler("clang-cpp"));
        env.insert("CXX".into(), sdk.compiler("clang++"));
        env.insert("AR".into(), sdk.bin("llvm-ar").plain());
        env.insert("RANLIB".into(), sdk.bin("ranlib").plain());
        env.insert("PKG_CONFIG_PATH".into(), String::new());
        env.insert(
            "PKG_CONFIG_LIBDIR".into(),
            format!("{}:{}", sysroot.join("lib/pkgconfig").plain(), sysroot.join("share/pkgconfig").plain()),
        );
        env.insert("PKG_CONFIG_SYSROOT_DIR".into(), sysroot.plain());
        env.insert("WASI_SDK_PATH".into(), sdk.root.plain());
        env.insert("WASI_SYSROOT".into(), sysroot.plain());
        env.insert("HOSTRUNNER".into(), runner.command_line());
        env.extend(library_flags(self.libraries));
        env
    }

    fn configure_program(&self, dir: &Path, env: &Env) -> Cmd {
        Cmd::new("/bin/sh", dir, env)
    }

    fn configure_args(&self) -> anyhow::Result<Vec<String>> {
        Ok(self.line_configure.iter().map(|answer| answer.to_string()).collect())
    }

    fn after_make(&self, _: &mut Steps, _: &str, _: &Env, runner: RunnerCommand) -> anyhow::Result<RunnerCommand> {
        make_guest_root(self.work, &runner.dirs)?;
        Ok(runner)
    }
}
