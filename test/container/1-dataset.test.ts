// Container scenario 1: a dataset that exists only inside the container (written there by the
// container's own `datasets` library, in a workspace that is not mounted from this machine) opens in
// the dataset panel drawn by Chromium outside: row count and cell text as `datasets` reports them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Session } from '../e2e/harness';
import { UI_TIMEOUT } from '../e2e/harness';
import { CPY, ROOT, sh, startRemote } from './lane';

let s: Session;
const WS = `${ROOT}/dataset/workspace`;
const FILE = 'data/only-in-container.arrow';

// Rows that name the container's hostname: text this machine cannot have made.
const MAKE = `
import json, socket, sys, datasets
host = socket.gethostname()
rows = {"id": list(range(37)), "text": ["row %d written in container %s" % (i, host) for i in range(37)]}
ds = datasets.Dataset.from_dict(rows)
ds.save_to_disk("/tmp/ds-only")
import glob, shutil
shutil.copy(glob.glob("/tmp/ds-only/data-*.arrow")[0], sys.argv[1])
print(json.dumps({"rows": len(datasets.Dataset.from_file(sys.argv[1])), "first": rows["text"][0]}))
`;
let truth: { rows: number; first: string };

before(async () => {
  s = await startRemote({ name: 'dataset' });
  sh(`mkdir -p ${WS}/data`);
  truth = JSON.parse(sh(`${CPY} - ${WS}/${FILE}`, { input: MAKE }).stdout.trim().split('\n').pop()!);
});
after(async () => s?.close());

test('a dataset that exists only inside the container opens in the browser outside', { timeout: 240_000 }, async () => {
  assert.ok(!existsSync(`${WS}/${FILE}`), 'the file is not on this machine');
  await s.quickOpen('only-in-container.arrow');
  const wv = await s.frameWith('#grid .row');
  const total = Number(await wv.locator('#row-count').getAttribute('data-rows'));
  assert.equal(total, truth.rows, "row count as the container's datasets reports it");
  const first = wv.locator('#grid .row', { hasText: truth.first }).first();
  await first.waitFor({ timeout: UI_TIMEOUT });
  // The row in full, in the detail pane: the container's hostname is in the text.
  await first.locator('.cell').last().click();
  await wv.getByText(truth.first).last().waitFor({ timeout: UI_TIMEOUT });
  // The webview is served by the server in the container, through the same published port.
  const origin = new URL(s.page.url()).origin;
  assert.ok(
    s.page.frames().some((f) => f.url().startsWith(origin) && f.url().includes('webview')),
    "webview frames come from the container's server",
  );
  await s.screenshot('grid');
  assert.equal(s.dialogs.length, 0);
});
