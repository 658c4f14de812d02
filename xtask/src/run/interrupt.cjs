// The keyboard-interrupt test of the emscripten node target, written next to the build and run by
// `cargo xtask test --suite interrupt`:
//
//   node [RUNNER FLAGS] interrupt.cjs PYTHON_JS|PYTHON_MJS SCRATCH_DIR
//
// The main thread starts the interpreter in a worker with a SharedArrayBuffer as
// Module.Py_EmscriptenSignalBuffer and signal handling switched on (the embedder's half of
// bpo-47176). Python creates a marker file and enters `while True: n += 1`; the main thread, which
// stays free while the worker spins, then writes SIGINT into the buffer. The loop must end with
// KeyboardInterrupt, which Python records in a result file, within the time limit. The worker also
// reads the exported signal-clock countdown (patch 0001), which a host zeroes to make the next
// check read the buffer.
'use strict';
const { Worker, isMainThread, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');

const SIGINT = 2;
const LIMIT_MS = 60000;

function main() {
  const [pythonJs, scratch] = process.argv.slice(2);
  const ready = path.join(scratch, 'interrupt-ready');
  const result = path.join(scratch, 'interrupt-result');
  fs.rmSync(ready, { force: true });
  fs.rmSync(result, { force: true });
  const buffer = new Int32Array(new SharedArrayBuffer(4));
  // The marker is created inside the try, so a signal that lands before the loop is still
  // caught; the count tells whether the loop had started.
  const script = [
    'import os',
    'n = 0',
    'try:',
    `    os.close(os.open(${JSON.stringify(ready)}, os.O_CREAT | os.O_WRONLY))`,
    '    while True:',
    '        n += 1',
    'except KeyboardInterrupt:',
    '    where = "in the loop" if n else "before the loop"',
    `    with open(${JSON.stringify(result)}, "w") as f:`,
    '        f.write(f"KeyboardInterrupt raised {where} after {n} iterations")',
  ].join('\n');
  const started = Date.now();
  const argv = ['-c', script];
  const worker = new Worker(__filename, { workerData: { pythonJs, buffer, argv }, argv });
  let signalled = 0;
  const poll = setInterval(() => {
    if (!signalled && fs.existsSync(ready)) {
      signalled = Date.now();
      Atomics.store(buffer, 0, SIGINT);
    }
  }, 20);
  const deadline = setTimeout(() => {
    console.error(`interrupt: FAIL: the interpreter did not stop within ${LIMIT_MS / 1000} s`);
    process.exitCode = 1;
    worker.terminate();
  }, LIMIT_MS);
  worker.on('error', (error) => {
    console.error(`interrupt: FAIL: the worker failed: ${error.stack || error}`);
    process.exitCode = 1;
  });
  worker.on('exit', () => {
    clearInterval(poll);
    clearTimeout(deadline);
    const outcome = fs.existsSync(result) ? fs.readFileSync(result, 'utf8').trim() : '';
    if (!signalled) {
      console.error('interrupt: FAIL: the interpreter exited before it reached the loop');
      process.exitCode = 1;
    } else if (!outcome) {
      console.error('interrupt: FAIL: the interpreter ended without catching KeyboardInterrupt');
      process.exitCode = 1;
    } else {
      const after = Date.now() - signalled;
      console.log(`interrupt: ${outcome}, ${after} ms after SIGINT was written (${Date.now() - started} ms in all)`);
    }
  });
}

// Runs the module with our Module object. 3.13's python.js starts with `var Module = typeof Module
// != "undefined" ? Module : {}`, which inside a CommonJS module sees only its own scope, so the
// object is passed in as a parameter of the function wrapping the script. From 3.14 on python.mjs
// is an ES module whose default export takes the object; it has no NODERAWFS, so the host's
// directories are mounted before Python starts, as CPython's node_entry.mjs does.
function runWithModule(pythonJs, Module) {
  if (pythonJs.endsWith('.mjs')) {
    Module.arguments = workerData.argv;
    Module.preRun = [() => {
      for (const dir of fs.readdirSync('/').filter((d) => !['dev', 'lib', 'proc'].includes(d))) {
        Module.FS.mkdirTree('/' + dir);
        Module.FS.mount(Module.FS.filesystems.NODEFS, { root: '/' + dir }, '/' + dir);
      }
      Module.FS.chdir(process.cwd());
    }];
    import(require('node:url').pathToFileURL(pythonJs).href)
      .then((loaded) => loaded.default(Module))
      .catch((error) => {
        console.error(`interrupt: FAIL: ${pythonJs} did not start: ${error.stack || error}`);
        process.exit(1);
      });
    return;
  }
  const source = fs.readFileSync(pythonJs, 'utf8');
  const wrapper = '(function (Module, require, __filename, __dirname) {' + source + '\n})';
  const run = require('node:vm').runInThisContext(wrapper, { filename: pythonJs });
  run(Module, require('node:module').createRequire(pythonJs), pythonJs, path.dirname(pythonJs));
}

const valueOf = (global) => (typeof global === 'object' ? global.value : global);

// The embedder's side: instantiate the module ourselves (Module.instantiateWasm), so that the
// addresses of the exported data symbols come from the instance: the export's value plus the
// module's __memory_base, as dynamic linking defines them. emcc 3.1.69 also writes them into
// python.js as Module._Py_EMSCRIPTEN_SIGNAL_HANDLING and Module.__Py_emscripten_signal_clock, but
// for a MAIN_MODULE build those numbers come from its first link and differ from the final binary
// (seen here); a host writing there would corrupt memory, so they are only compared and reported.
function worker() {
  const { pythonJs, buffer } = workerData;
  let instance;
  let memoryBase;
  let memory;
  const Module = {
    thisProgram: pythonJs,
    // At exit emscripten closes every stream, and under NODERAWFS streams 0-2 are the process's
    // own descriptors: closed from this worker, the main thread could no longer report (seen
    // here: the process died with status 1 and no message). With the runtime kept alive they
    // stay open; the interpreter reports through the result file instead of its exit status.
    noExitRuntime: true,
    Py_EmscriptenSignalBuffer: buffer,
    instantiateWasm(imports, receive) {
      // A relocatable main module (emscripten 3.x, 4.0.12) is placed at __memory_base; later
      // releases link the main module at fixed addresses and import no base.
      memoryBase = valueOf(imports.env.__memory_base) ?? 0;
      memory = imports.env.memory;
      const wasm = fs.readFileSync(pythonJs.replace(/\.m?js$/, '.wasm'));
      WebAssembly.instantiate(wasm, imports).then((result) => {
        instance = result.instance;
        memory = memory || instance.exports.memory;
        receive(result.instance, result.module);
      });
      return {};
    },
    onRuntimeInitialized() {
      const address = (symbol) => {
        const exported = instance.exports[symbol];
        if (exported === undefined) {
          throw new Error(`${symbol} is not exported by ${pythonJs}`);
        }
        const found = valueOf(exported) + memoryBase;
        const written = Module['_' + symbol];
        if (written !== undefined && written !== found) {
          console.log(`interrupt: note: python.js names ${symbol} at ${written}, the instance at ${found}; using the instance's`);
        }
        return found;
      };
      const flag = address('Py_EMSCRIPTEN_SIGNAL_HANDLING');
      const clock = address('_Py_emscripten_signal_clock');
      // The heap views come from the memory itself: emscripten 4 no longer puts HEAP8 and HEAP32
      // on Module unless the link exports them.
      new Int8Array(memory.buffer)[flag] = 1;
      const countdown = new Int32Array(memory.buffer)[clock >> 2];
      console.log(`interrupt: signal handling on; the exported signal clock counts down from ${countdown}`);
    },
  };
  runWithModule(pythonJs, Module);
}

if (isMainThread) {
  main();
} else {
  worker();
}
