// Compare Chat Templates (webview side): shows the host's diff of one conversation rendered through two
// templates — the rendered texts side by side with changed lines marked, then the tokens with their
// trained (assistant) mask where the two differ. All text goes through textContent.
//
// Stable DOM hooks (e2e tests rely on them):
//   #left-label, #right-label   the two sides' names
//   #summary                    "identical" or what differs (lines, tokens, masks)
//   #text-diff                  rows `.line` with `.same` / `.del` / `.add`
//   #token-diff                 `.tok` chips with `.same` / `.del` / `.add` / `.mask`, `.trained` when trained
//   #error                      hidden when none
//   #add-generation-prompt      checkbox
import './style.css';
import type {
  TemplateDiffFromWebview,
  TemplateDiffState,
  TemplateDiffToWebview,
  TokenOp,
} from '../../src/core/template/templateDiff';

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void };
const vscode = acquireVsCodeApi();
const post = (m: TemplateDiffFromWebview): void => vscode.postMessage(m);

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const app = document.getElementById('app')!;
const header = el('div', { class: 'header' });
const leftLabel = el('span', { id: 'left-label', class: 'label left' });
const rightLabel = el('span', { id: 'right-label', class: 'label right' });
const toggle = el('label', { class: 'toggle' });
const addGen = el('input', { type: 'checkbox', id: 'add-generation-prompt' });
toggle.append(addGen, document.createTextNode(' add_generation_prompt'));
header.append(leftLabel, el('span', { class: 'vs' }, 'vs'), rightLabel, toggle);
const summary = el('div', { id: 'summary', class: 'summary' });
const error = el('div', { id: 'error', class: 'error hidden' });
const textDiff = el('div', { id: 'text-diff', class: 'text-diff' });
const tokenNote = el('div', { id: 'token-note', class: 'note hidden' });
const tokenDiff = el('div', { id: 'token-diff', class: 'token-diff' });
app.append(
  header,
  summary,
  error,
  el('h3', {}, 'Rendered text'),
  textDiff,
  el('h3', {}, 'Tokens and trained mask'),
  tokenNote,
  tokenDiff,
);

addGen.addEventListener('change', () => post({ type: 'templateDiff/options', addGenerationPrompt: addGen.checked }));

/** Newlines and tabs stay visible in a one-line row. */
const visible = (s: string): string => s.replace(/\t/g, '→\t');

function renderLines(state: TemplateDiffState): void {
  textDiff.replaceChildren();
  for (const side of [state.left, state.right]) {
    if (side.error) textDiff.append(el('div', { class: 'line error-line' }, `${side.label}: ${side.error}`));
  }
  for (const l of state.lines ?? []) {
    const row = el('div', { class: `line ${l.op}` });
    row.append(
      el('span', { class: 'gutter' }, l.op === 'del' ? '−' : l.op === 'add' ? '+' : ' '),
      el('span', { class: 'content' }, visible(l.text) || ' '),
    );
    textDiff.append(row);
  }
}

function chip(t: { id: number; text: string; trained: boolean }, op: string): HTMLElement {
  const c = el('span', {
    class: `tok ${op}${t.trained ? ' trained' : ''}`,
    title: `id ${t.id}${t.trained ? ' · trained' : ''}`,
  });
  c.textContent = t.text.replace(/\n/g, '↵').replace(/ /g, '·') || '∅';
  return c;
}

function renderTokens(ops: TokenOp[] | undefined, note: string | undefined): void {
  tokenDiff.replaceChildren();
  tokenNote.classList.toggle('hidden', !note);
  tokenNote.textContent = note ?? '';
  for (const o of ops ?? []) {
    if (o.op === 'same') tokenDiff.append(chip(o.left, 'same'));
    else if (o.op === 'del') tokenDiff.append(chip(o.left, 'del'));
    else if (o.op === 'add') tokenDiff.append(chip(o.right, 'add'));
    else {
      const pair = el('span', {
        class: 'pair',
        title: `mask differs: left ${o.left.trained ? 'trained' : 'not trained'}, right ${o.right.trained ? 'trained' : 'not trained'}`,
      });
      pair.append(chip(o.left, 'mask'), chip(o.right, 'mask'));
      tokenDiff.append(pair);
    }
  }
}

function show(state: TemplateDiffState): void {
  error.classList.add('hidden');
  leftLabel.textContent = state.left.label;
  rightLabel.textContent = state.right.label;
  const s = state.summary;
  const counts = (side: TemplateDiffState['left']) =>
    side.tokenCount !== undefined ? ` (${side.tokenCount} tokens, ${side.trainedCount} trained)` : '';
  if (state.left.error || state.right.error) summary.textContent = 'One side failed to render.';
  else if (s.identicalText && !s.maskChanged)
    summary.textContent = `Identical: same text, same tokens, same trained mask${counts(state.left)}.`;
  else
    summary.textContent =
      `${s.identicalText ? 'Same text' : `${s.linesChanged} line(s) differ`}; ${s.tokensChanged} token(s) differ; ${s.maskChanged} token(s) change trained mask. ` +
      `Left${counts(state.left)}, right${counts(state.right)}.`;
  summary.classList.toggle('differs', !(s.identicalText && !s.maskChanged));
  renderLines(state);
  renderTokens(state.tokens, state.tokensNote);
}

window.addEventListener('message', (e: MessageEvent<TemplateDiffToWebview>) => {
  const m = e.data;
  if (m?.type === 'templateDiff/state') show(m.state);
  else if (m?.type === 'templateDiff/error') {
    error.textContent = m.message;
    error.classList.remove('hidden');
  }
});
post({ type: 'templateDiff/ready' });
