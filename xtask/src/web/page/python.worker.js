// The web REPL's worker (written into the bundle by cargo xtask). It starts the interpreter named
// by bundle.json with the stdlib zip and the bundle's extension modules in its file system, reads
// stdin from a SharedArrayBuffer the page fills, sends stdout and stderr to the page as bytes, and
// gives the interpreter the page's signal buffer (Module.Py_EmscriptenSignalBuffer), into which
// the Stop button writes SIGINT: the interpreter raises KeyboardInterrupt at its next check.
'use strict';

const REPL = [
  'import code, sys',
  'code.interact(',
  '    banner=f"Python {sys.version} on {sys.platform}\\nStop raises KeyboardInterrupt.",',
  '    exitmsg="")',
].join('\n');

const fail = (what, error) => postMessage({ type: 'failed', message: `${what}: ${error && error.stack || error}` });

// Output: bytes, posted per line (and before every read of stdin, so a prompt shows).
const pending = { 1: [], 2: [] };
function flush() {
  for (const fd of [1, 2]) {
    if (pending[fd].length) {
      postMessage({ type: 'output', fd, bytes: Uint8Array.from(pending[fd]) });
      pending[fd] = [];
    }
  }
}
const writer = (fd) => (code) => {
  if (code === null || code === undefined) return;
  pending[fd].push(code & 0xff);
  if (code === 10 || pending[fd].length >= 4096) flush();
};

// Input: the page writes a line's bytes after the first 8 bytes of the buffer and then its length
// into word 0, which this worker set to -1 before asking.
function stdinReader(sab) {
  const control = new Int32Array(sab, 0, 1);
  const data = new Uint8Array(sab, 8);
  let line = [];
  let ended = true;
  const readLine = () => {
    flush();
    Atomics.store(control, 0, -1);
    postMessage({ type: 'input' });
    Atomics.wait(control, 0, -1);
    return Array.from(data.subarray(0, Atomics.load(control, 0)));
  };
  // One read() of stdin gets one line: after its bytes, null ends the read; the next read asks
  // again. An empty answer is end of file.
  return () => {
    if (line.length === 0) {
      if (!ended) {
        ended = true;
        return null;
      }
      line = readLine();
      ended = false;
      if (line.length === 0) {
        ended = true;
        return null;
      }
    }
    return line.shift();
  };
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function start({ stdin, signals }) {
  const config = await (await fetch('bundle.json')).json();
  const stdlib = await fetchBytes(config.stdlib);
  const extensions = await Promise.all(config.extensions.map(async (name) => [name, await fetchBytes(name)]));
  let exports;
  let memory;
  let memoryBase = 0;
  let resolveReady;
  const ready = new Promise((resolve) => { resolveReady = resolve; });
  const settings = {
    noInitialRun: true,
    thisProgram: 'python',
    stdin: stdinReader(stdin),
    stdout: writer(1),
    stderr: writer(2),
    Py_EmscriptenSignalBuffer: new Int32Array(signals),
    // Instantiated here, so the addresses of the exported data symbols come from the instance:
    // the export's value plus __memory_base where the main module is relocatable.
    instantiateWasm(imports, receive) {
      const base = imports.env && imports.env.__memory_base;
      memoryBase = (typeof base === 'object' ? base.value : base) ?? 0;
      memory = imports.env && imports.env.memory;
      WebAssembly.instantiateStreaming(fetch(config.wasm), imports)
        .then(({ instance, module }) => {
          exports = instance.exports;
          memory = memory || exports.memory;
          receive(instance, module);
        })
        .catch((error) => fail(`instantiate ${config.wasm}`, error));
      return {};
    },
    preRun: [() => {
      const FS = settings.FS || self.FS;
      FS.mkdirTree(config.dynload);
      FS.writeFile(config.landmark, '# The landmark of the prefix; the stdlib is in the zip.\n');
      FS.writeFile(config.stdlib_path, stdlib, { canOwn: true });
      for (const [name, bytes] of extensions) FS.writeFile(`${config.dynload}/${name}`, bytes);
    }],
    onRuntimeInitialized: () => resolveReady(),
  };
  if (config.kind === 'module') {
    const { default: create } = await import(new URL(config.module, location.href));
    await create(settings);
  } else {
    self.Module = settings;
    importScripts(config.module);
  }
  await ready;
  // Signal handling on (the embedder's half of bpo-47176).
  const flag = exports.Py_EMSCRIPTEN_SIGNAL_HANDLING;
  if (flag === undefined) throw new Error(`${config.wasm} does not export Py_EMSCRIPTEN_SIGNAL_HANDLING`);
  new Int8Array(memory.buffer)[(typeof flag === 'object' ? flag.value : flag) + memoryBase] = 1;
  postMessage({ type: 'ready', python: config.python });
  const callMain = settings.callMain || self.callMain;
  let status;
  try {
    status = callMain(['-u', '-c', REPL]);
  } catch (error) {
    status = error && error.status !== undefined ? error.status : String(error);
  }
  flush();
  postMessage({ type: 'exited', status });
}

onmessage = (event) => {
  if (event.data.type === 'start') start(event.data).catch((error) => fail('start', error));
};
