// Container scenario 6: the seams of a remote window.
//  - extensionKind ["workspace"] holds: the installed extension says so, and its extension host is a
//    process in the container (none on this machine).
//  - Nothing opens a port for the UI: opening the dataset grid, the template preview and the training
//    dashboard adds no listening socket in the container.
//  - The webviews work through the remote channel: every request Chromium makes goes to the one
//    published code-server port, and the panels show the container's data.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, UI_TIMEOUT, type Session } from '../e2e/harness';
import { dataFixture } from '../e2e/fixtures';
import { ROOT, sh, startRemote } from './lane';

let s: Session;
const requests: string[] = [];
const arrow = dataFixture('alpaca_tok');

before(async () => {
  s = await startRemote({
    name: 'seams',
    copy: {
      'data/tokenized.arrow': arrow.abs,
      'tokenizer.json': join(FIXTURES, 'tokenizer/tokenizer.json'),
      'tokenizer_config.json': join(FIXTURES, 'tokenizer/tokenizer_config.json'),
    },
  });
  s.page.context().on('request', (r) => requests.push(r.url()));
});
after(async () => s?.close());

/** Listening TCP sockets in the container (local address:port, hex as the kernel lists them). */
function listening(): Set<string> {
  const lines = sh('cat /proc/net/tcp /proc/net/tcp6').stdout.split('\n').slice(1);
  return new Set(
    lines
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3] === '0A')
      .map((f) => f[1]),
  );
}

test(
  'extensionKind workspace holds, no port opens for the UI, webviews work through the remote channel',
  { timeout: 240_000 },
  async () => {
    const ext = sh(`cat ${process.env.BATCHSCOPE_LANE_EXT}/batchscope.batchscope-*/package.json`).stdout;
    assert.deepEqual(JSON.parse(ext).extensionKind, ['workspace']);
    const before = listening();
    await s.quickOpen('tokenized.arrow');
    const grid = await s.frameWith('#grid .row');
    assert.equal(Number(await grid.locator('#row-count').getAttribute('data-rows')), arrow.rows);
    await s.command('Batchscope: Show Training Dashboard');
    await s.frameWith('#loss-chart', UI_TIMEOUT);
    await s.screenshot('panels');
    const opened = [...listening()].filter((a) => !before.has(a));
    assert.deepEqual(opened, [], 'opening the panels opened no listening socket in the container');

    // The extension was activated by the remote extension host, a process in the container...
    const procs = sh('for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null; echo; done').stdout;
    assert.match(procs, /--type=extensionHost/, 'an extension host process in the container');
    const exthostLog = sh(`cat ${ROOT}/seams/user-data/logs/*/exthost*/remoteexthost.log`).stdout;
    assert.match(
      exthostLog,
      /_doActivateExtension batchscope\.batchscope\b/,
      'the remote extension host activated Batchscope',
    );
    // ...and no VS Code server or extension host of this scenario runs on this machine. (This
    // machine's /proc also lists the container's processes: those are in another pid namespace.)
    const ourNs = readlinkSync('/proc/self/ns/pid');
    const local = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return (
            readlinkSync(`/proc/${d}/ns/pid`) === ourNs &&
            readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`${ROOT}/seams`)
          );
        } catch {
          return false;
        }
      });
    assert.deepEqual(local, [], "no process on this machine works on the container's workspace");

    const uiOrigin = `http://127.0.0.1:${process.env.BATCHSCOPE_LANE_UI_PORT}`;
    const web = requests.filter((u) => /^(https?|wss?):/.test(u));
    assert.ok(
      web.some((u) => u.startsWith(uiOrigin) && /webview/.test(u)),
      "webview content came from the container's server",
    );
    // No other port on this machine or in the container serves any part of the UI. (The workbench may
    // try the public extension gallery, which the offline sandbox cannot reach: not ours, not a port.)
    const otherLocal = web.filter(
      (u) =>
        /^\w+:\/\/(127\.|localhost|\[::1\])/.test(u) &&
        !u.startsWith(uiOrigin) &&
        !u.startsWith(uiOrigin.replace('http', 'ws')),
    );
    assert.deepEqual(otherLocal, [], 'the browser talks to no local port but the published code-server one');
  },
);
