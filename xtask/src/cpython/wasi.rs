//! The WASI target build: the SDK's clang for configure and make, wasmtime as the runner.

use super::env::{base, library_flags, module, source_access};
use super::BuildPlan;
use crate::process::{Env, SYSTEM_PATH};
use crate::toolchains::wasi_sdk::WasiSdk;
use crate::toolchains::wasmtime::Wasmtime;
use crate::workdir::{RunnerCommand, WorkDir};

pub fn runner(work: &WorkDir, plan: &BuildPlan, wasmtime: &Wasmtime) -> RunnerCommand {
    let line = plan.source.line;
    let module = module(work, plan);
    // The sysconfig data, as CPython's own WASI runner passes it; a wasmtime without --argv0
    // also needs the stdlib named.
    let mut pythonpath = format!("{}/build/lib.wasi-wasm32-{line}", work.target_build.display());
    if !wasmtime.sets_argv0() {
        pythonpath = format!("{pythonpath}:{}/Lib", plan.source.root.display());
    }
    let env = [("PYTHONPATH".to_owned(), pythonpath)];
    let args = wasmtime.runner_args(plan.profile.wasi_stack, &module.display().to_string(), &env);
    let (dirs, dir_syntax) = (source_access(work, plan).dirs, wasmtime.dir_syntax());
    RunnerCommand { program: wasmtime.binary.clone(), args, module, entry: vec![], dirs, dir_syntax }
}

pub fn configure_env(work: &WorkDir, plan: &BuildPlan, sdk: &WasiSdk, runner: &RunnerCommand) -> Env {
    let sysroot = sdk.sysroot();
    let mut env = base(work, plan);
    env.insert("PATH".into(), format!("{}:{SYSTEM_PATH}", sdk.root.join("bin").display()));
    env.insert("CC".into(), sdk.compiler("clang"));
    env.insert("CPP".into(), sdk.compiler("clang-cpp"));
    env.insert("CXX".into(), sdk.compiler("clang++"));
    env.insert("AR".into(), sdk.bin("llvm-ar").display().to_string());
    env.insert("RANLIB".into(), sdk.bin("ranlib").display().to_string());
    env.insert("PKG_CONFIG_PATH".into(), String::new());
    env.insert(
        "PKG_CONFIG_LIBDIR".into(),
        format!("{}:{}", sysroot.join("lib/pkgconfig").display(), sysroot.join("share/pkgconfig").display()),
    );
    env.insert("PKG_CONFIG_SYSROOT_DIR".into(), sysroot.display().to_string());
    env.insert("WASI_SDK_PATH".into(), sdk.root.display().to_string());
    env.insert("WASI_SYSROOT".into(), sysroot.display().to_string());
    env.insert("HOSTRUNNER".into(), runner.command_line());
    env.extend(library_flags(plan));
    env
}
