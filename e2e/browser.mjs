// The real-browser test of the web REPL: headless Chromium (Debian's) loads the page `cargo xtask
// serve` serves, driven over the DevTools protocol on a pipe (--remote-debugging-pipe: fd 3 in,
// fd 4 out, NUL-terminated JSON; nothing to install). It checks crossOriginIsolated, types
// print(6*7) and reads 42 from the page, runs `while True: pass`, clicks Stop and reads
// KeyboardInterrupt, imports the side-module extension, and saves a screenshot.
//
//   node e2e/browser.mjs URL SCREENSHOT.png [CHROMIUM]
//
// Exits 1 with one line saying which check failed. A page served without COOP/COEP fails the
// first check.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [url, screenshot, chromium = '/usr/bin/chromium'] = process.argv.slice(2);
const LIMIT_MS = 180000;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xtask-chromium-'));
const browser = spawn(chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-extensions', '--mute-audio',
  `--user-data-dir=${profile}`, '--window-size=1100,800', '--remote-debugging-pipe', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let browserLog = '';
browser.stdio[2].on('data', (chunk) => { browserLog = (browserLog + chunk).slice(-4000); });

function finish(code, message) {
  if (message) console.error(message);
  try { browser.kill('SIGKILL'); } catch {}
  // Chromium may still be writing its profile as it dies: retry, and never fail the test on it.
  try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); } catch {}
  process.exit(code);
}
const fail = (message) => finish(1, `browser: FAIL: ${message}`);
setTimeout(() => fail(`the test did not finish within ${LIMIT_MS / 1000} s`), LIMIT_MS).unref();
browser.on('exit', (code, signal) => fail(`chromium exited (${code ?? signal}); its last words: ${browserLog.trim().split('\n').slice(-3).join(' | ')}`));
browser.on('error', (error) => fail(`cannot start ${chromium}: ${error.message}`));

// The protocol: one NUL-terminated JSON message per command and per reply or event.
let nextId = 1;
const replies = new Map();
const listeners = [];
let incoming = Buffer.alloc(0);
browser.stdio[4].on('data', (chunk) => {
  incoming = Buffer.concat([incoming, chunk]);
  let end;
  while ((end = incoming.indexOf(0)) >= 0) {
    const message = JSON.parse(incoming.subarray(0, end).toString('utf8'));
    incoming = incoming.subarray(end + 1);
    if (message.id && replies.has(message.id)) {
      const { resolve, reject } = replies.get(message.id);
      replies.delete(message.id);
      if (message.error) reject(new Error(`${message.error.message} ${message.error.data || ''}`));
      else resolve(message.result);
    } else {
      for (const listener of listeners) listener(message);
    }
  }
});
let session;
function send(method, params = {}) {
  const id = nextId++;
  const message = { id, method, params, ...(session ? { sessionId: session } : {}) };
  browser.stdio[3].write(JSON.stringify(message) + '\0');
  return new Promise((resolve, reject) => replies.set(id, { resolve, reject }));
}
async function evaluate(expression) {
  const { result, exceptionDetails } = await send('Runtime.evaluate', { expression, returnByValue: true });
  if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.text}`);
  return result.value;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(what, expression, ms) {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await evaluate(expression)) return Date.now() - started;
    await sleep(50);
  }
  const state = await evaluate('document.body.dataset.state');
  const shown = await evaluate('document.getElementById("output").textContent.slice(-300)');
  fail(`${what}: not seen within ${ms / 1000} s (page state ${state}; the page shows ${JSON.stringify(shown)})`);
}
const output = 'document.getElementById("output").textContent';
async function type(text) {
  await evaluate('document.getElementById("line").focus()');
  if (text) await send('Input.insertText', { text });
  const enter = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13 };
  await send('Input.dispatchKeyEvent', { type: 'keyDown', text: '\r', ...enter });
  await send('Input.dispatchKeyEvent', { type: 'keyUp', ...enter });
}
async function click(id) {
  const box = await evaluate(`(() => { const r = document.getElementById(${JSON.stringify(id)}).getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`);
  for (const type of ['mousePressed', 'mouseReleased']) {
    await send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
  }
}

const { targetInfos } = await send('Target.getTargets');
const page = targetInfos.find((t) => t.type === 'page');
if (!page) fail('chromium opened no page');
({ sessionId: session } = await send('Target.attachToTarget', { targetId: page.targetId, flatten: true }));
await send('Page.enable');
await send('Runtime.enable');
const loaded = new Promise((resolve) => listeners.push((m) => m.method === 'Page.loadEventFired' && resolve()));
const { errorText } = await send('Page.navigate', { url });
if (errorText) fail(`cannot load ${url}: ${errorText}`);
await loaded;

if (!(await evaluate('self.crossOriginIsolated'))) {
  fail(`${url} is not cross-origin isolated (crossOriginIsolated is false): the server sent no COOP/COEP headers`);
}
console.log('browser: crossOriginIsolated is true');
const startup = await waitFor('the REPL prompt', 'document.body.dataset.state === "waiting"', 120000);
const version = await evaluate('document.getElementById("version").textContent');
console.log(`browser: CPython ${version} started in the worker and prompts (${startup} ms)`);

await type('print(6*7)');
await waitFor('42 after print(6*7)', `${output}.includes("print(6*7)\\n42\\n")`, 30000);
console.log('browser: print(6*7) printed 42 on the page');

await type('while True: pass');
await type('');
await waitFor('the loop running', 'document.body.dataset.state === "running"', 10000);
await sleep(1000);
// The banner names KeyboardInterrupt once; only a traceback's last line counts.
const raised = `${output}.includes("\\nKeyboardInterrupt\\n")`;
if (await evaluate(raised)) fail('KeyboardInterrupt was on the page before Stop');
if ((await evaluate('document.body.dataset.state')) !== 'running') fail('the loop ended before Stop');
const stopped = Date.now();
await click('stop');
await waitFor('KeyboardInterrupt after Stop', `${raised} && document.body.dataset.state === "waiting"`, 30000);
console.log(`browser: Stop raised KeyboardInterrupt in the loop (${Date.now() - stopped} ms after the click)`);

await type('import xtask_ext; print(xtask_ext.greet("the browser"), xtask_ext.add(40, 2))');
await waitFor('the side module', `${output}.includes("side module says hello to the browser")`, 30000);
console.log('browser: import xtask_ext loaded the side module: ' +
  (await evaluate(`${output}.split("\\n").find((l) => l.startsWith("side module says hello"))`)));

const { data } = await send('Page.captureScreenshot', { format: 'png' });
fs.writeFileSync(screenshot, Buffer.from(data, 'base64'));
console.log(`browser: screenshot in ${screenshot}`);
session = undefined;
browser.removeAllListeners('exit');
const exited = new Promise((resolve) => browser.on('exit', resolve));
await send('Browser.close').catch(() => {});
await Promise.race([exited, sleep(5000)]);
finish(0);
