//! The WASI host build: the SDK's clang for configure and make, wasmtime as the runner.

use std::collections::BTreeMap;

use super::env::{base, dep_flags, module, source_access, RunnerSpec, SYSTEM_PATH};
use super::{Inputs, Layout};
use crate::toolchains::wasi_sdk::WasiSdk;
use crate::toolchains::wasmtime::Wasmtime;

pub fn runner(layout: &Layout, inputs: &Inputs, wasmtime: &Wasmtime) -> RunnerSpec {
    let line = inputs.source.line;
    let module = module(layout, inputs.target);
    // The sysconfig data, as CPython's own WASI runner passes it; a wasmtime without --argv0
    // also needs the stdlib named.
    let mut pythonpath = format!("{}/build/lib.wasi-wasm32-{line}", layout.host.display());
    if !wasmtime.sets_argv0() {
        pythonpath = format!("{pythonpath}:{}/Lib", inputs.source.root.display());
    }
    let env = [("PYTHONPATH".to_owned(), pythonpath)];
    let dirs = source_access(layout, inputs.source).dirs;
    let args = wasmtime.runner_args(line, &module.display().to_string(), &dirs, &env);
    RunnerSpec { program: wasmtime.binary.clone(), args, module }
}

pub fn host_env(layout: &Layout, inputs: &Inputs, sdk: &WasiSdk, runner: &RunnerSpec) -> BTreeMap<String, String> {
    let sysroot = sdk.sysroot();
    let mut env = base(layout, inputs.source);
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
    env.extend(dep_flags(inputs));
    env
}
