// Debug-view steps the container's debugging scenarios share (launch, attach, SSH attach): a function
// breakpoint typed into the Breakpoints view, rows of Variables / Call Stack, and the decoded tokens
// of the stopped batch checked against the container's own `tokenizers`.
import assert from 'node:assert/strict';
import { UI_TIMEOUT, type Session } from '../e2e/harness';
import { CPY, sh } from './lane';

export function row(s: Session, view: string, text: string | RegExp) {
  return s.page.locator(`${view} .monaco-list-row`, { hasText: text }).first();
}

/** The tree renders only the rows in view: scroll it down until the row shows. */
export async function reveal(s: Session, view: string, text: string | RegExp) {
  const r = row(s, view, text);
  const tree = s.page.locator(`${view} .monaco-list`).first();
  for (let i = 0; i < 30 && !(await r.isVisible()); i++) {
    await tree.hover();
    await s.page.mouse.wheel(0, 120);
    await s.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  }
  await r.waitFor({ timeout: UI_TIMEOUT });
  return r;
}

export async function functionBreakpoint(s: Session, name: string): Promise<void> {
  await s.command('View: Show Run and Debug');
  await s.page.locator('.pane-header', { hasText: 'Breakpoints' }).waitFor({ timeout: UI_TIMEOUT });
  // Breakpoints is the only unfolded pane while typing: an earlier scenario in this profile folded
  // it (checkCollatedBatch), and a later one found its inline input never showing.
  for (const title of ['Variables', 'Watch', 'Call Stack']) await s.setPane(title, false);
  await s.setPane('Breakpoints', true);
  await s.command('Add Function Breakpoint');
  const input = s.page.locator('.debug-breakpoints input, .debug-pane .monaco-inputbox input').first();
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill(name);
  await input.press('Enter');
  await row(s, '.debug-breakpoints', name).waitFor({ timeout: UI_TIMEOUT });
  for (const title of ['Call Stack', 'Variables']) await s.setPane(title, true);
}

/** Ground truth: batch `index` of the fixture job (batch size 4, no shuffle) decoded in the container. */
function expectedDecoded(jobDir: string, index: number, container?: string): Array<{ text: string; repr: string }> {
  const code = [
    'import json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'from debug_data import make_row',
    'from tokenizers import Tokenizer',
    'tok = Tokenizer.from_file(sys.argv[1] + "/tokenizer/tokenizer.json")',
    'rows = [make_row(i)["input_ids"].tolist() for i in range(int(sys.argv[2]) * 4, int(sys.argv[2]) * 4 + 4)]',
    'print(json.dumps([{"text": t, "repr": repr(t)[1:-1]} for t in [tok.decode(r, skip_special_tokens=False) for r in rows]]))',
  ].join('\n');
  return JSON.parse(sh(`${CPY} - ${jobDir} ${index}`, { input: code, container }).stdout.trim().split('\n').pop()!);
}

/**
 * Stopped at collate: step over it, open the collated batch in Variables, and check input_ids'
 * summary and the first decoded row against the container's tokenizer. Returns the batch index.
 */
export async function checkCollatedBatch(s: Session, jobDir: string, container?: string): Promise<number> {
  await row(s, '.debug-call-stack', /collate/).waitFor({ timeout: UI_TIMEOUT });
  // Variables gets the whole view: with Call Stack unfolded beside it, the `batch` row of the stepped
  // stage can sit below its few visible rows, where the tree does not render it (seen in a clean run).
  for (const pane of ['Watch', 'Breakpoints', 'Call Stack']) await s.setPane(pane, false);
  await s.page.locator('.debug-toolbar .action-label.codicon-debug-step-over').click();
  const batch = row(s, '.debug-variables', /^\s*batch\b/);
  await batch.waitFor({ timeout: UI_TIMEOUT });
  const indexText = await row(s, '.debug-variables', 'batch_index').innerText();
  const batchIndex = Number(/batch_index\s*=\s*(\d+)/.exec(indexText)?.[1]);
  assert.ok(Number.isInteger(batchIndex), `batch_index in Variables: ${indexText}`);
  await batch.click();
  const inputIds = row(s, '.debug-variables', /input_ids/);
  await inputIds.waitFor({ timeout: UI_TIMEOUT });
  assert.match(await inputIds.innerText(), /\[4, \d+\].*int64/s, 'input_ids summary: shape and dtype');
  await inputIds.click();
  // `decoded` is lazy (read from the controller when expanded): open it, then its row [0].
  const decoded = await reveal(s, '.debug-variables', /decoded/);
  await decoded.click();
  const first = row(s, '.debug-variables', /^\s*\[0\]/);
  for (let i = 0; i < 5 && !(await first.isVisible()); i++) {
    // A lazy variable can stay folded behind its "eye" (resolve) button: press it when it shows (it
    // is in the DOM but hidden once resolved: clicking it then waits forever), else expand the
    // selected row with → (a click would fold it again).
    const eye = decoded.locator('.lazy-button, .codicon-eye').first();
    if (await eye.isVisible()) await eye.click();
    else await s.page.keyboard.press('ArrowRight');
    await first.waitFor({ timeout: 3000 }).catch(() => {});
  }
  const shown = await (await reveal(s, '.debug-variables', /^\s*\[0\]/)).innerText();
  const want = expectedDecoded(jobDir, batchIndex, container)[0];
  assert.ok(
    [want.text, want.repr, JSON.stringify(want.text)].some((t) => shown.includes(t)),
    `decoded row 0 of batch ${batchIndex} reads ${JSON.stringify(want.text)}: ${shown}`,
  );
  return batchIndex;
}

/** launch.json holding the attach configuration of docs/remote.md. */
export function attachConfig(port: number, secret: string): string {
  const config = {
    type: 'batchscope',
    request: 'attach',
    name: 'Attach DataLoader',
    host: '127.0.0.1',
    port,
    secret,
    tokenizer: '${workspaceFolder}/tokenizer',
  };
  return JSON.stringify({ version: '0.2.0', configurations: [config] }, null, 2);
}
