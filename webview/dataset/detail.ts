// The selected row in full: flags, the token view (chips) and every cell's full text.
import type { TokenChip } from '../../src/core/datasets/types';
import type { DatasetRowDetail } from '../../protocol/webview';
import { clear, describeError, el } from './dom';

export function renderDetail(
  detail: DatasetRowDetail,
  focusColumn: string | undefined,
  parts: { title: HTMLElement; flags: HTMLElement; tokens: HTMLElement; cells: HTMLElement },
): void {
  parts.title.textContent = `Row ${detail.index}`;
  if (detail.json) parts.title.append(copyButton('Copy row as JSON', detail.json, 'copy-row'));
  clear(parts.flags);
  for (const f of detail.flags) parts.flags.append(el('span', 'flag', f));
  if (detail.error) parts.flags.append(el('span', 'error', describeError(detail.error)));

  renderTokens(detail, parts.tokens);

  clear(parts.cells);
  let focus: HTMLElement | null = null;
  for (const c of detail.cells) {
    const block = el('section', 'cell-full');
    block.dataset.col = c.column;
    const name = el('h4', 'cell-name', c.column);
    if (c.json !== undefined) name.append(copyButton('Copy', c.json, 'copy-cell'));
    block.append(name);
    if (c.image) {
      const img = el('img', 'thumb large');
      img.src = c.image;
      img.alt = `${c.column} of row ${detail.index}`;
      block.append(img);
    }
    if (c.imageNote) block.append(el('div', 'note', c.imageNote));
    if (c.turns) block.append(renderTurns(c.turns));
    else if (!c.image || c.text) block.append(el('pre', 'cell-text', c.text));
    if (c.truncated) block.append(el('div', 'note', 'Cut here: the cell is longer than the panel shows.'));
    if (c.column === focusColumn) {
      block.classList.add('focused');
      focus = block;
    }
    parts.cells.append(block);
  }
  focus?.scrollIntoView({ block: 'nearest' });
}

/** A small button that puts `text` on the clipboard and says so. */
function copyButton(label: string, text: string, cls: string): HTMLElement {
  const b = el('button', `copy ${cls}`, label);
  b.title = label;
  b.addEventListener('click', (ev) => {
    ev.stopPropagation();
    navigator.clipboard.writeText(text).then(
      () => (b.textContent = 'Copied'),
      () => (b.textContent = 'Copy failed'),
    );
    setTimeout(() => (b.textContent = label), 1500);
  });
  return b;
}

/** The conversation view: one block per turn, role first; text only through textContent. */
function renderTurns(turns: NonNullable<DatasetRowDetail['cells'][number]['turns']>): HTMLElement {
  const box = el('div', 'turns');
  for (const t of turns) {
    const turn = el('div', 'turn');
    turn.dataset.role = t.role;
    const head = el('div', 'turn-role', t.role);
    if (t.train) {
      // Tokenized rows: whether the loss sees this turn (from the labels of its tokens).
      turn.dataset.train = t.train;
      const what = { trained: 'trained', masked: 'masked', partly: 'partly trained' }[t.train];
      const badge = el('span', `turn-train ${t.train}`, ` ${what}`);
      badge.title = `${t.trainedTokens} of ${t.tokens} tokens of this turn have labels (trained); the rest are −100 (masked)`;
      head.append(badge);
    }
    turn.append(head);
    if (t.content) turn.append(el('pre', 'turn-content', t.content));
    if (t.toolCalls) turn.append(el('pre', 'turn-tools', `tool calls: ${t.toolCalls}`));
    box.append(turn);
  }
  return box;
}

function renderTokens(detail: DatasetRowDetail, host: HTMLElement): void {
  clear(host);
  const t = detail.tokens;
  if (!t) {
    host.classList.add('empty');
    return;
  }
  host.classList.remove('empty');
  const trained = t.chips.filter((c) => c.trained === true).length;
  const hasLabels = t.chips.some((c) => c.trained !== undefined);
  const summary =
    `${t.column}: ${t.total} tokens` +
    (hasLabels ? `, ${trained} trained` : '') +
    (t.decoded ? '' : ' (ids only: no tokenizer)');
  host.append(el('div', 'tokens-summary', summary));
  // The legend uses its own classes so `#tokens .chip` / `.trained` count only real tokens.
  const legend = el('div', 'legend');
  for (const [kind, label] of [
    ['trained', 'trained'],
    ['masked', 'masked (−100)'],
    ['special', 'special'],
    ['padding', 'padding'],
  ]) {
    legend.append(el('span', `legend-chip legend-${kind}`, label));
  }
  host.append(legend);
  const chips = el('div', 'chips');
  // One fragment: thousands of chips appended one by one would relayout each time.
  const frag = document.createDocumentFragment();
  for (const c of t.chips) frag.append(chipEl(c));
  chips.append(frag);
  host.append(chips);
  if (t.chips.length < t.total) host.append(el('div', 'note', `First ${t.chips.length} of ${t.total} tokens shown.`));
}

function chipEl(c: TokenChip): HTMLElement {
  const chip = el('span', 'chip', c.text);
  if (c.special) chip.classList.add('special');
  if (c.trained === true) chip.classList.add('trained');
  if (c.trained === false) chip.classList.add('masked');
  if (c.padding) chip.classList.add('padding');
  chip.title = String(c.id);
  return chip;
}
