// The keyboard-interrupt test, written with embed.js into a scratch directory and run by
// `cargo xtask test --suite interrupt`:
//
//   node [RUNNER FLAGS] interrupt.cjs MODULE SCRATCH_DIR
//
// MODULE is the interpreter (python.js or python.mjs) of a node build, or of a web bundle (a
// bundle.json beside it): then the interpreter is set up as the page's worker sets it up. The
// main thread starts the interpreter in a worker with a SharedArrayBuffer as
// Module.Py_EmscriptenSignalBuffer and signal handling switched on (embed.js). Python creates a
// marker file and enters `while True: n += 1`; the main thread, which stays free while the worker
// spins, then writes SIGINT into the buffer. The loop must end with KeyboardInterrupt, which
// Python records in a result file, within the time limit. The worker also reads the exported
// signal-clock countdown (patch 0001), which a host zeroes to make the next check read the buffer.
'use strict';
const { Worker, isMainThread, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const embed = require('./embed.js');

const SIGINT = 2;
const LIMIT_MS = 60000;

function main() {
  const [moduleFile, scratch] = process.argv.slice(2);
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
  const worker = new Worker(__filename, { workerData: { moduleFile, buffer, argv }, argv });
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

// The interpreter in this worker. A node build of 3.13 (python.js) runs under NODERAWFS and sees
// the host's files by itself; a python.mjs (3.14 on) and a web bundle get the host's
// directories mounted, as CPython's node_entry.mjs and bundle-run.mjs do.
function worker() {
  const { moduleFile, buffer, argv } = workerData;
  const dir = path.dirname(moduleFile);
  const bundlePath = path.join(dir, 'bundle.json');
  const config = fs.existsSync(bundlePath) ? JSON.parse(fs.readFileSync(bundlePath, 'utf8')) : null;
  const kind = config ? config.kind : moduleFile.endsWith('.mjs') ? 'module' : 'script';
  const wasmFile = config ? path.join(dir, config.wasm) : moduleFile.replace(/\.m?js$/, '.wasm');
  const fail = (error) => {
    console.error(`interrupt: FAIL: ${moduleFile} did not start: ${error && error.stack || error}`);
    process.exit(1);
  };
  const settings = {
    // A build's interpreter finds its stdlib from its own path (pybuilddir.txt, VPATH); a
    // bundle's from the prefix its zip sits under.
    thisProgram: config ? 'python' : moduleFile,
    arguments: argv,
    // At exit emscripten closes every stream, and under NODERAWFS streams 0-2 are the process's
    // own descriptors: closed from this worker, the main thread could no longer report (seen
    // here: the process died with status 1 and no message). With the runtime kept alive they
    // stay open; the interpreter reports through the result file instead of its exit status.
    noExitRuntime: true,
    Py_EmscriptenSignalBuffer: buffer,
    locateFile: (name) => path.join(dir, name),
    preRun: [() => {
      const FS = embed.fsOf(settings);
      if (config) {
        const extensions = config.extensions.map((name) => [name, fs.readFileSync(path.join(dir, name))]);
        embed.provision(FS, config, fs.readFileSync(path.join(dir, config.stdlib)), extensions);
      }
      if (config || kind === 'module') {
        embed.mountHost(FS, embed.nodeHost().topDirs(), process.cwd(), config);
      }
    }],
    // Before main starts (it does not return: the loop spins until the signal).
    onRuntimeInitialized() {
      embed.enableSignals(wasm);
      const countdown = new Int32Array(wasm.memory.buffer)[wasm.address('_Py_emscripten_signal_clock') >> 2];
      console.log(`interrupt: signal handling on; the exported signal clock counts down from ${countdown}`);
    },
  };
  const load = (imports) => WebAssembly.instantiate(fs.readFileSync(wasmFile), imports);
  const wasm = embed.instantiating(settings, load, fail);
  embed.start(kind, moduleFile, settings, embed.nodeHost()).catch(fail);
}

if (isMainThread) {
  main();
} else {
  worker();
}
