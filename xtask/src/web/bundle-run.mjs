// Runs the interpreter of a web bundle under Node, set up as python.worker.js sets it up in the
// browser (the stdlib zip and extension modules written into its file system at the paths
// bundle.json names, by the same embed.js), so `cargo xtask run` and the smoke test exercise
// what the page loads. Unlike the page, the host's top-level directories are mounted (NODEFS) at
// their own paths, except the one holding the bundle's stdlib, and the process's directory is
// the current one.
//
//   node bundle-run.mjs WEB_DIR [PYTHON ARGS...]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const embed = createRequire(import.meta.url)('./embed.js');
const host = embed.nodeHost();

const [web, ...args] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(path.join(web, 'bundle.json'), 'utf8'));
const moduleFile = path.join(web, config.module);

const out = embed.byteWriter((bytes) => fs.writeSync(1, bytes));
const err = embed.byteWriter((bytes) => fs.writeSync(2, bytes));
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
  out.flush();
  err.flush();
  process.exit(typeof status === 'number' ? status : 1);
};

const settings = {
  noInitialRun: true,
  thisProgram: 'python',
  stdin: reader,
  stdout: out.write,
  stderr: err.write,
  locateFile: (name) => path.join(web, name),
  onExit: finish,
  preRun: [() => {
    const FS = embed.fsOf(settings);
    const extensions = config.extensions.map((name) => [name, fs.readFileSync(path.join(web, name))]);
    embed.provision(FS, config, fs.readFileSync(path.join(web, config.stdlib)), extensions);
    embed.mountHost(FS, host.topDirs(), process.cwd(), config);
  }],
};

const Module = await embed.start(config.kind, moduleFile, settings, host);
try {
  finish(embed.callMainOf(Module)(args));
} catch (error) {
  if (error && typeof error.status === 'number') finish(error.status);
  console.error(`bundle-run: ${moduleFile} failed: ${error && error.stack || error}`);
  finish(1);
}
