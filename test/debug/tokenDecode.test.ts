// Adapter-side decoding of input_ids/labels against the Python `tokenizers` library (ground truth),
// using the shared fixture tokenizer (built by scripts/fixtures.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { TokenDecoder } from '../../src/dap/tokenDecode';
import { TokenVariables, parseIds } from '../../src/dap/variables';

const REPO = path.resolve(__dirname, '..', '..');
const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
const TOK = path.join(REPO, 'test', '.fixtures', 'tokenizer');

const TEXTS = ['sample 3: What is the capital of France?', 'Les élèves 日本語 🙂🚀', '<|im_start|>user\nhi<|im_end|>'];

function pythonTruth(): { ids: number[][]; text: string[]; pieces: string[][] } {
  const code = `
import json, sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1])
texts = json.loads(sys.argv[2])
ids = [t.encode(s).ids for s in texts]
print(json.dumps({"ids": ids, "text": [t.decode(i, skip_special_tokens=False) for i in ids], "pieces": [[t.id_to_token(x) for x in i] for i in ids]}))
`;
  return JSON.parse(
    execFileSync(PY, ['-c', code, path.join(TOK, 'tokenizer.json'), JSON.stringify(TEXTS)], { encoding: 'utf8' }),
  );
}

test('decode and pieces match the Python tokenizers library', () => {
  const truth = pythonTruth();
  const dec = TokenDecoder.load(TOK);
  truth.ids.forEach((ids, i) => {
    assert.equal(dec.decode(ids), truth.text[i]);
    assert.deepEqual(
      ids.map((id) => dec.piece(id)),
      truth.pieces[i],
    );
  });
});

test('labels: runs of -100 render as [masked ×N], the rest decodes like Python', () => {
  const truth = pythonTruth();
  const dec = TokenDecoder.load(path.join(TOK, 'tokenizer.json'));
  const ids = truth.ids[0];
  const labels = [-100, -100, -100, ...ids.slice(3), -100, -100];
  const py = JSON.parse(
    execFileSync(
      PY,
      [
        '-c',
        'import json,sys\nfrom tokenizers import Tokenizer\nt=Tokenizer.from_file(sys.argv[1])\nprint(json.dumps(t.decode(json.loads(sys.argv[2]), skip_special_tokens=False)))',
        path.join(TOK, 'tokenizer.json'),
        JSON.stringify(ids.slice(3)),
      ],
      { encoding: 'utf8' },
    ),
  );
  assert.equal(dec.decodeLabels(labels), `[masked ×3]${py}[masked ×2]`);
});

test('a missing tokenizer names the file', () => {
  assert.throws(() => TokenDecoder.load('/nonexistent/tok'), /\/nonexistent\/tok.*(ENOENT|no such file)/);
});

test('decorate adds a lazy `decoded` child to an expanded input_ids tensor', async () => {
  const truth = pythonTruth();
  const tv = new TokenVariables(TokenDecoder.load(TOK));
  // The parent scope lists input_ids (ref 7); expanding ref 7 shows summaries and `values` (ref 8).
  await tv.decorate(1, [{ name: 'input_ids', value: 'Tensor[2, 9] int64', variablesReference: 7 }], async () => []);
  const rows = [truth.ids[0], truth.ids[1]];
  const out = await tv.decorate(
    7,
    [
      { name: 'shape', value: '[2, 9]', variablesReference: 0 },
      { name: 'values', value: '…', variablesReference: 8 },
    ],
    async (ref) => {
      assert.equal(ref, 8);
      return rows.map((r, i) => ({ name: `[${i}]`, value: `[${r.join(', ')}]`, variablesReference: 0 }));
    },
  );
  const decoded = out.find((v) => v.name === 'decoded');
  assert.ok(decoded, 'decoded child added');
  assert.deepEqual(decoded.presentationHint, { lazy: true });
  // DAP lazy contract (VS Code's evaluateLazy): exactly one child, which replaces the entry.
  const resolved = (await tv.children(decoded.variablesReference))!;
  assert.equal(resolved.length, 1, JSON.stringify(resolved));
  assert.equal(resolved[0].name, 'decoded');
  assert.equal(resolved[0].presentationHint?.lazy, undefined);
  assert.equal(resolved[0].indexedVariables, 2);
  const children = (await tv.children(resolved[0].variablesReference))!;
  assert.deepEqual(
    children.map((c) => JSON.parse(c.value)),
    [truth.text[0], truth.text[1]],
  );
  const tokens = (await tv.children(children[0].variablesReference))!;
  assert.equal(tokens.length, rows[0].length);
  assert.deepEqual(
    (await tv.children(children[0].variablesReference, 1, 2))!.map((t) => t.name),
    ['1', '2'],
  );
  tv.reset();
  assert.equal(await tv.children(decoded.variablesReference), undefined);
});

test("decorate reads rows that are themselves expandable lists (the controller's list[N] rendering)", async () => {
  const truth = pythonTruth();
  const tv = new TokenVariables(TokenDecoder.load(TOK));
  await tv.decorate(1, [{ name: 'labels', value: 'Tensor', variablesReference: 7 }], async () => []);
  const labels = [-100, -100, ...truth.ids[0].slice(2)];
  const lists: Record<number, DebugProtocol.Variable[]> = {
    8: [{ name: '[0]', value: 'list[' + labels.length + ']', variablesReference: 9 }],
    9: labels.map((id, i) => ({ name: `[${i}]`, value: String(id), variablesReference: 0 })),
  };
  const out = await tv.decorate(
    7,
    [{ name: 'values', value: '[[…]]', variablesReference: 8 }],
    async (ref) => lists[ref],
  );
  const [resolved] = (await tv.children(out.find((v) => v.name === 'decoded')!.variablesReference))!;
  const rows = (await tv.children(resolved.variablesReference))!;
  assert.equal(rows.length, 1);
  assert.equal(resolved.value, rows[0].value, 'one row: the resolved entry shows its text');
  assert.ok(JSON.parse(rows[0].value).startsWith('[masked ×2]'), rows[0].value);
  assert.match(rows[0].type ?? '', /2\/\d+ masked/);
});

test('a later listing that shows a reference as something else stops decorating it', async () => {
  const tv = new TokenVariables(TokenDecoder.load(TOK));
  await tv.decorate(1, [{ name: 'input_ids', value: 'Tensor', variablesReference: 7 }], async () => []);
  // The next stop reuses reference 7 for a plain list.
  await tv.decorate(1, [{ name: 'index', value: 'list[4]', variablesReference: 7 }], async () => []);
  const out = await tv.decorate(7, [{ name: 'values', value: '[1, 2]', variablesReference: 0 }], async () => []);
  assert.equal(
    out.find((v) => v.name === 'decoded'),
    undefined,
  );
});

test('parseIds reads tensor and list renderings', () => {
  assert.deepEqual(parseIds('[1, 2, -100, 4]'), [1, 2, -100, 4]);
  assert.deepEqual(parseIds('tensor([5, 6])'), [5, 6]);
  assert.equal(parseIds('list[4]'), undefined);
});
