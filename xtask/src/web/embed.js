// How this tool's JS hosts load and drive the interpreter, in one place: the page's worker
// (python.worker.js, through importScripts), the Node runner of a web bundle (bundle-run.mjs)
// and the keyboard-interrupt test (interrupt.cjs), both through require. Written into the web
// bundle and next to the runners by cargo xtask.
//
// - start: loads the module named by bundle.json (or given), a classic script (3.13's
//   python.js, run in the global scope as importScripts runs it) or an ES module factory
//   (python.mjs, 3.14 on), with the caller's Module settings.
// - instantiating: instantiates the wasm ourselves (Module.instantiateWasm), so the addresses
//   of the exported data symbols come from the instance: the export's value plus
//   __memory_base where the main module is relocatable (emscripten 3.x, 4.0.12; later releases
//   link it at fixed addresses and import no base). emcc also writes some addresses into
//   python.js, but for a MAIN_MODULE build they come from its first link and differ from the
//   final binary, so a host writing there would corrupt memory.
// - enableSignals: switches signal handling on (the embedder's half of bpo-47176): after it,
//   SIGINT written into Module.Py_EmscriptenSignalBuffer raises KeyboardInterrupt.
// - provision: the bundle's stdlib zip, its extension modules and the prefix's landmark, at the
//   paths bundle.json names.
// - mountHost: the host's top-level directories at their own paths (NODEFS), but those in SKIP
//   and the one the bundle's stdlib lives under, as CPython's node_entry.mjs mounts them.
// - byteWriter: stdout/stderr bytes, handed on per line.
// - nodeHost (the Node hosts only): how `start` loads a module there, and the host's top-level
//   directories for mountHost.
'use strict';
(function (root) {
  const SKIP = ['dev', 'lib', 'proc', 'sys'];

  const valueOf = (global) => (typeof global === 'object' && global !== null ? global.value : global);

  function byteWriter(emit) {
    let pending = [];
    const flush = () => {
      if (pending.length) emit(Uint8Array.from(pending));
      pending = [];
    };
    const write = (code) => {
      if (code === null || code === undefined) return;
      pending.push(code & 0xff);
      if (code === 10 || pending.length >= 4096) flush();
    };
    return { write, flush };
  }

  // Sets settings.instantiateWasm; `load(imports)` resolves to { instance, module }. Returns
  // the handle that gives addresses and the memory once the runtime is up.
  function instantiating(settings, load, fail) {
    const handle = { instance: null, memory: null, memoryBase: 0 };
    settings.instantiateWasm = (imports, receive) => {
      handle.memoryBase = valueOf(imports.env && imports.env.__memory_base) ?? 0;
      handle.memory = imports.env && imports.env.memory;
      load(imports)
        .then(({ instance, module }) => {
          handle.instance = instance;
          handle.memory = handle.memory || instance.exports.memory;
          receive(instance, module);
        })
        .catch(fail);
      return {};
    };
    handle.address = (symbol) => {
      const exported = handle.instance.exports[symbol];
      if (exported === undefined) throw new Error(`the interpreter does not export ${symbol}`);
      return valueOf(exported) + handle.memoryBase;
    };
    return handle;
  }

  // The heap views come from the memory itself: emscripten 4 no longer puts HEAP8 and HEAP32 on
  // Module unless the link exports them.
  function enableSignals(handle) {
    new Int8Array(handle.memory.buffer)[handle.address('Py_EMSCRIPTEN_SIGNAL_HANDLING')] = 1;
  }

  function provision(FS, config, stdlib, extensions) {
    FS.mkdirTree(config.dynload);
    FS.writeFile(config.landmark, '# The landmark of the prefix; the stdlib is in the zip.\n');
    FS.writeFile(config.stdlib_path, stdlib, { canOwn: true });
    for (const [name, bytes] of extensions) FS.writeFile(`${config.dynload}/${name}`, bytes);
  }

  // `dirs`: the host's top-level directory names; `config`: a bundle's, whose stdlib path is not
  // shadowed, or null.
  function mountHost(FS, dirs, cwd, config) {
    const taken = config ? config.stdlib_path.split('/')[1] : null;
    for (const dir of dirs) {
      if (SKIP.includes(dir) || dir === taken) continue;
      FS.mkdirTree('/' + dir);
      FS.mount(FS.filesystems.NODEFS, { root: '/' + dir }, '/' + dir);
    }
    FS.chdir(cwd);
  }

  // `kind`: 'module' or 'script'. `importModule(url)` and `runScript(url, settings)` are the
  // host's (dynamic import; importScripts or vm). Resolves to the Module once the runtime is up.
  async function start(kind, url, settings, { importModule, runScript }) {
    const ready = new Promise((resolve) => {
      const user = settings.onRuntimeInitialized;
      settings.onRuntimeInitialized = () => {
        if (user) user();
        resolve(settings);
      };
    });
    if (kind === 'module') {
      const { default: create } = await importModule(url);
      await create(settings);
    } else {
      runScript(url, settings);
    }
    return ready;
  }

  // The Node hosts' side of `start` and `mountHost`: an ES module by dynamic import; a classic
  // script run in the global scope, as importScripts runs it in the worker, so its top-level
  // names (FS, callMain) become globals and it takes `Module` from there. Not for the browser.
  function nodeHost() {
    const fs = require('node:fs');
    const path = require('node:path');
    const vm = require('node:vm');
    const { createRequire } = require('node:module');
    const { pathToFileURL } = require('node:url');
    return {
      importModule: (file) => import(pathToFileURL(file).href),
      runScript: (file, module) => {
        Object.assign(root, { Module: module, require: createRequire(file), __filename: file, __dirname: path.dirname(file) });
        vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
      },
      topDirs: () => fs.readdirSync('/').filter((dir) => fs.statSync('/' + dir).isDirectory()),
    };
  }

  // FS and callMain: on the Module of an ES module, in the global scope for a classic script.
  const fsOf = (settings) => settings.FS || root.FS;
  const callMainOf = (settings) => settings.callMain || root.callMain;

  const api = { SKIP, byteWriter, instantiating, enableSignals, provision, mountHost, start, nodeHost, fsOf, callMainOf };
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else {
    root.XtaskEmbed = api;
  }
})(typeof globalThis !== 'undefined' ? globalThis : self);
