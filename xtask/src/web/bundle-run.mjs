// Runs the interpreter of a web bundle under Node, set up as python.worker.js sets it up in the
// browser (the stdlib zip and extension modules written into its file system at the paths
// bundle.json names), so `cargo xtask run` and the smoke test exercise what the page loads.
// Unlike the page, the host's top-level directories are mounted (NODEFS) at their own paths,
// except the one holding the bundle's stdlib, and the process's directory is the current one.
//
//   node bundle-run.mjs WEB_DIR [PYTHON ARGS...]
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const [web, ...args] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(path.join(web, 'bundle.json'), 'utf8'));
const moduleFile = path.join(web, config.module);

const pending = { 1: [], 2: [] };
const flush = (fd) => {
  if (pending[fd].length) fs.writeSync(fd, Uint8Array.from(pending[fd]));
  pending[fd] = [];
};
const writer = (fd) => (code) => {
  if (code === null || code === undefined) return;
  pending[fd].push(code & 0xff);
  if (code === 10 || pending[fd].length >= 4096) flush(fd);
};
const input = Buffer.alloc(4096);
let inputBytes = [];
const reader = () => {
  if (inputBytes.length === 0) {
    let count = 0;
    try { count = fs.readSync(0, input, 0, input.length, null); } catch { count = 0; }
    if (count === 0) return null;
    inputBytes = Array.from(input.subarray(0, count));
  }
  return inputBytes.shift();
};
const finish = (status) => {
  flush(1);
  flush(2);
  process.exit(typeof status === 'number' ? status : 1);
};

const settings = {
  noInitialRun: true,
  thisProgram: 'python',
  stdin: reader,
  stdout: writer(1),
  stderr: writer(2),
  locateFile: (name) => path.join(web, name),
  onExit: finish,
  preRun: [() => {
    const FS = settings.FS || globalThis.FS;
    FS.mkdirTree(config.dynload);
    FS.writeFile(config.landmark, '# The landmark of the prefix; the stdlib is in the zip.\n');
    FS.writeFile(config.stdlib_path, fs.readFileSync(path.join(web, config.stdlib)));
    for (const name of config.extensions) FS.writeFile(`${config.dynload}/${name}`, fs.readFileSync(path.join(web, name)));
    const taken = config.stdlib_path.split('/')[1];
    for (const dir of fs.readdirSync('/')) {
      if (['dev', 'proc', 'sys', taken].includes(dir) || !fs.statSync('/' + dir).isDirectory()) continue;
      FS.mkdirTree('/' + dir);
      FS.mount(FS.filesystems.NODEFS, { root: '/' + dir }, '/' + dir);
    }
    FS.chdir(process.cwd());
  }],
};

let ready;
if (config.kind === 'module') {
  const { default: create } = await import(pathToFileURL(moduleFile).href);
  ready = create(settings);
} else {
  ready = new Promise((resolve) => { settings.onRuntimeInitialized = () => resolve(settings); });
  // A classic script, run in the global scope as importScripts runs it in the worker: its
  // top-level names (FS, callMain) become globals, and it takes `Module` from there.
  Object.assign(globalThis, { Module: settings, require: createRequire(moduleFile), __filename: moduleFile, __dirname: web });
  vm.runInThisContext(fs.readFileSync(moduleFile, 'utf8'), { filename: moduleFile });
}
const Module = await ready;
try {
  finish((Module.callMain || globalThis.callMain)(args));
} catch (error) {
  if (error && typeof error.status === 'number') finish(error.status);
  console.error(`bundle-run: ${moduleFile} failed: ${error && error.stack || error}`);
  finish(1);
}
