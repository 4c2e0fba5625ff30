// Chat template preview (webview side). The host (src/vscode/template.ts) renders; this page
// edits the inputs and shows what it gets, always through textContent.
//
// Stable DOM hooks (e2e tests rely on them):
//   #messages-input  <textarea> with the conversation as JSON (type to re-render, debounced)
//   #tools-input, #kwargs-input  <textarea> tools JSON array / extra kwargs JSON object (e.g. {"enable_thinking": false})
//   #add-generation-prompt, #continue-final-message  <vscode-checkbox>
//   #template-name   <select> when the file has named templates
//   #rendered        the rendered text, exact (textContent equals transformers' output); special tokens
//                    in `.special`, {% generation %} spans in `.assistant`; newlines/tabs marked by CSS only
//   #token-view      `.chip` per token (`.special`, `.trained`), title = "id N"
//   #token-count, #trained-count   numbers
//   #error           hidden when none; the message with template line/column; #error-reveal jumps there
//   #lint            `.finding` items (`.error` / `.warning` / `.info`)
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import './style.css';
import type {
  TemplateFromWebview,
  TemplateInputs,
  TemplatePreviewState,
  TemplateToWebview,
} from '../../protocol/webview';

declare function acquireVsCodeApi(): {
  postMessage(msg: unknown): void;
  setState(s: unknown): void;
  getState(): unknown;
};
const vscode = acquireVsCodeApi();
const post = (m: TemplateFromWebview): void => vscode.postMessage(m);

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
type Checkbox = HTMLElement & { checked: boolean };

const app = document.getElementById('app')!;
const header = el('div', { class: 'header' });
const title = el('span', { class: 'title', id: 'title' });
const source = el('span', { class: 'meta', id: 'source' });
const nameSelect = el('select', { id: 'template-name', class: 'hidden', title: 'Named template' });
header.append(title, nameSelect, source);

const inputs = el('div', { class: 'inputs' });
const messagesInput = el('textarea', {
  id: 'messages-input',
  spellcheck: 'false',
  rows: '12',
  'aria-label': 'Messages (JSON)',
});
const toolsInput = el('textarea', {
  id: 'tools-input',
  spellcheck: 'false',
  rows: '3',
  placeholder: 'tools: JSON array (optional)',
  'aria-label': 'Tools (JSON)',
});
const kwargsInput = el('textarea', {
  id: 'kwargs-input',
  spellcheck: 'false',
  rows: '2',
  placeholder: 'kwargs: {"enable_thinking": false}',
  'aria-label': 'Extra template variables (JSON)',
});
const toggles = el('div', { class: 'toggles' });
const addGen = el('vscode-checkbox', { id: 'add-generation-prompt', label: 'add_generation_prompt' }) as Checkbox;
const contFinal = el('vscode-checkbox', { id: 'continue-final-message', label: 'continue_final_message' }) as Checkbox;
toggles.append(addGen, contFinal);
inputs.append(
  el('label', { for: 'messages-input' }, 'messages'),
  messagesInput,
  el('label', { for: 'tools-input' }, 'tools'),
  toolsInput,
  el('label', { for: 'kwargs-input' }, 'kwargs'),
  kwargsInput,
  toggles,
);

const output = el('div', { class: 'output' });
const error = el('div', { id: 'error', class: 'error hidden', role: 'alert' });
const errorText = el('span', { id: 'error-text' });
const reveal = el('vscode-button', { id: 'error-reveal', secondary: '' }, 'Go to template');
error.append(errorText, reveal);
const rendered = el('pre', { id: 'rendered', class: 'rendered' });
const counts = el('div', { class: 'counts' });
const tokenCount = el('span', { id: 'token-count' }, '0');
const trainedCount = el('span', { id: 'trained-count' }, '0');
const tokNote = el('span', { class: 'meta', id: 'tokenizer-note' });
counts.append(
  tokenCount,
  document.createTextNode(' tokens, '),
  trainedCount,
  document.createTextNode(' trained '),
  tokNote,
);
const tokenView = el('div', { id: 'token-view', class: 'token-view' });
const lint = el('div', { id: 'lint', class: 'lint' });
output.append(
  error,
  el('h3', {}, 'Rendered'),
  rendered,
  el('h3', {}, 'Tokens'),
  counts,
  tokenView,
  el('h3', {}, 'Lints'),
  lint,
);
app.append(header, el('div', { class: 'columns' }, undefined));
app.lastElementChild!.append(inputs, output);

let state: TemplatePreviewState | undefined;
let revealAt: { line: number; column: number } | undefined;

function currentInputs(): TemplateInputs {
  return {
    messagesJson: messagesInput.value,
    toolsJson: toolsInput.value,
    kwargsJson: kwargsInput.value,
    addGenerationPrompt: !!addGen.checked,
    continueFinalMessage: !!contFinal.checked,
    templateName: nameSelect.value,
  };
}

let timer: ReturnType<typeof setTimeout> | undefined;
function changed(): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    const i = currentInputs();
    vscode.setState({ file: state?.file, inputs: i });
    post({ type: 'template/inputs', inputs: i });
  }, 200);
}
for (const t of [messagesInput, toolsInput, kwargsInput]) t.addEventListener('input', changed);
for (const c of [addGen, contFinal]) c.addEventListener('change', changed);
nameSelect.addEventListener('change', changed);
reveal.addEventListener('click', () => revealAt && post({ type: 'template/reveal', ...revealAt }));

/** Appends text with newlines/tabs/spaces wrapped so CSS can show them without changing textContent. */
function appendVisible(parent: HTMLElement, text: string): void {
  for (const part of text.split(/(\n|\t| +)/)) {
    if (!part) continue;
    if (part === '\n') parent.append(el('span', { class: 'nl' }, '\n'));
    else if (part === '\t') parent.append(el('span', { class: 'tab' }, '\t'));
    else if (part[0] === ' ') parent.append(el('span', { class: 'sp' }, part));
    else parent.append(document.createTextNode(part));
  }
}

function renderText(s: TemplatePreviewState): void {
  rendered.replaceChildren();
  const text = s.text ?? '';
  const cuts = new Set([0, text.length]);
  for (const r of [...s.spans, ...s.specials]) {
    cuts.add(r.start);
    cuts.add(r.end);
  }
  const sorted = [...cuts].filter((x) => x >= 0 && x <= text.length).sort((a, b) => a - b);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const [a, b] = [sorted[i], sorted[i + 1]];
    if (a === b) continue;
    const assistant = s.spans.some((r) => r.start <= a && b <= r.end);
    const special = s.specials.some((r) => r.start <= a && b <= r.end);
    const holder =
      assistant || special
        ? el('span', { class: [assistant ? 'assistant' : '', special ? 'special' : ''].join(' ').trim() })
        : rendered;
    appendVisible(holder, text.slice(a, b));
    if (holder !== rendered) rendered.append(holder);
  }
}

function show(s: TemplatePreviewState): void {
  const first = !state || state.file !== s.file || s.source !== state.source;
  state = s;
  title.textContent = s.file.split(/[\\/]/).slice(-2).join('/') + (s.templateName ? ` — ${s.templateName}` : '');
  source.textContent = s.source ? `sample: ${s.source}` : '';
  if (first) {
    messagesInput.value = s.inputs.messagesJson;
    toolsInput.value = s.inputs.toolsJson;
    kwargsInput.value = s.inputs.kwargsJson;
    addGen.checked = s.inputs.addGenerationPrompt;
    contFinal.checked = s.inputs.continueFinalMessage;
    vscode.setState({ file: s.file, inputs: s.inputs });
  }
  nameSelect.classList.toggle('hidden', s.templateNames.length < 2);
  if (nameSelect.options.length !== s.templateNames.length + 1) {
    nameSelect.replaceChildren(
      el('option', { value: '' }, '(transformers’ choice)'),
      ...s.templateNames.map((n) => el('option', { value: n }, n)),
    );
    nameSelect.value = s.inputs.templateName;
  }

  error.classList.toggle('hidden', !s.error);
  revealAt = s.error?.line !== undefined ? { line: s.error.line, column: s.error.column ?? 1 } : undefined;
  reveal.classList.toggle('hidden', !revealAt);
  errorText.textContent = s.error
    ? `${s.error.pyClass ? `${s.error.pyClass}: ` : ''}${s.error.message}${revealAt ? ` (template line ${revealAt.line}, column ${revealAt.column})` : ''}`
    : '';
  if (s.text !== undefined || s.error) renderText(s);

  tokenView.replaceChildren(
    ...(s.tokens?.chips ?? []).map((c) =>
      el(
        'span',
        {
          class: ['chip', c.special ? 'special' : '', c.trained ? 'trained' : ''].join(' ').trim(),
          title: `id ${c.id}`,
        },
        c.text,
      ),
    ),
  );
  tokenCount.textContent = String(s.tokens?.count ?? 0);
  trainedCount.textContent = String(s.tokens?.trained ?? 0);
  tokNote.textContent = s.tokenizerNote ?? '';

  lint.replaceChildren(
    ...(s.lint.length ? s.lint : []).map((f) =>
      el(
        'div',
        { class: `finding ${f.severity}`, 'data-code': f.code },
        `${f.severity}: ${f.message}${f.line !== undefined ? ` (line ${f.line})` : ''}`,
      ),
    ),
  );
  if (!s.lint.length) lint.append(el('div', { class: 'meta' }, s.error ? '' : 'no findings'));
}

window.addEventListener('message', (e: MessageEvent<TemplateToWebview>) => {
  if (e.data?.type === 'template/state') show(e.data.state);
});
post({ type: 'template/ready' });
