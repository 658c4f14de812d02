// The web REPL's worker (written into the bundle by cargo xtask). It starts the interpreter named
// by bundle.json with the stdlib zip and the bundle's extension modules in its file system, reads
// stdin from a SharedArrayBuffer the page fills, sends stdout and stderr to the page as bytes, and
// gives the interpreter the page's signal buffer (Module.Py_EmscriptenSignalBuffer), into which
// the Stop button writes SIGINT: the interpreter raises KeyboardInterrupt at its next check.
// Loading and driving the interpreter is embed.js's, shared with the Node hosts.
'use strict';
importScripts('embed.js');

const REPL = [
  'import code, sys',
  'code.interact(',
  '    banner=f"Python {sys.version} on {sys.platform}\\nStop raises KeyboardInterrupt.",',
  '    exitmsg="")',
].join('\n');

const fail = (what, error) => postMessage({ type: 'failed', message: `${what}: ${error && error.stack || error}` });

// Output: bytes, posted per line (and before every read of stdin, so a prompt shows).
const writers = [1, 2].map((fd) => XtaskEmbed.byteWriter((bytes) => postMessage({ type: 'output', fd, bytes })));
const flush = () => writers.forEach((w) => w.flush());

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
  const settings = {
    noInitialRun: true,
    thisProgram: 'python',
    stdin: stdinReader(stdin),
    stdout: writers[0].write,
    stderr: writers[1].write,
    Py_EmscriptenSignalBuffer: new Int32Array(signals),
    preRun: [() => XtaskEmbed.provision(XtaskEmbed.fsOf(settings), config, stdlib, extensions)],
  };
  const load = (imports) => WebAssembly.instantiateStreaming(fetch(config.wasm), imports);
  const wasm = XtaskEmbed.instantiating(settings, load, (error) => fail(`instantiate ${config.wasm}`, error));
  const host = {
    importModule: (name) => import(new URL(name, location.href)),
    runScript: (name, module) => {
      self.Module = module;
      importScripts(name);
    },
  };
  await XtaskEmbed.start(config.kind, config.module, settings, host);
  XtaskEmbed.enableSignals(wasm);
  postMessage({ type: 'ready', python: config.python });
  let status;
  try {
    status = XtaskEmbed.callMainOf(settings)(['-u', '-c', REPL]);
  } catch (error) {
    status = error && error.status !== undefined ? error.status : String(error);
  }
  flush();
  postMessage({ type: 'exited', status });
}

onmessage = (event) => {
  if (event.data.type === 'start') start(event.data).catch((error) => fail('start', error));
};
