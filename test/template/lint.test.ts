import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintTemplate } from '../../src/core/template/lint';
import { loadTokenizer } from '../../src/core/tokens/tokenizer';
import { TEMPLATES, TOKENIZER } from './fixtures';

const cfg = JSON.parse(readFileSync(join(TOKENIZER, 'tokenizer_config.json'), 'utf8'));
const specials = { eos_token: '<|im_end|>', pad_token: '<|endoftext|>' };
const codes = (f: { code: string }[]) => f.map((x) => x.code).sort();

test('the shared ChatML template trains <|im_end|>: no eos-not-trained, EOS in effect reported', () => {
  const f = lintTemplate({ source: cfg.chat_template, specialTokens: specials });
  assert.deepEqual(codes(f), ['eos-in-effect']);
});

test('end-of-turn token right after the generation block is an error at the endgeneration line', () => {
  const src = cfg.chat_template.replace(
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}",
    "{% generation %}{{ message['content'] }}{% endgeneration %}{{ '<|im_end|>' }}",
  );
  assert.notEqual(src, cfg.chat_template);
  const f = lintTemplate({ source: src, specialTokens: specials }).find((x) => x.code === 'eos-not-trained');
  assert.ok(f, 'eos-not-trained expected');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /<\|im_end\|>/);
  assert.equal(f.line, src.slice(0, src.indexOf('{% endgeneration')).split('\n').length);
});

test('only the last assistant turn in {% generation %} → untrained-turns', () => {
  const src =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.role == 'assistant' and loop.last %}{% generation %}{{ m.content }}<|im_end|>{% endgeneration %}{% else %}{{ m.content }}<|im_end|>{% endif %}\n{% endfor %}";
  assert.ok(codes(lintTemplate({ source: src, specialTokens: specials })).includes('untrained-turns'));
});

test('template without generation, ignoring the system message, with CRLF', () => {
  const src =
    "{% for m in messages if m.role != 'system' %}\r\n{{ m.role }}: {{ m.content }}<|im_end|>\r\n{% endfor %}";
  const f = lintTemplate({ source: src, specialTokens: specials });
  assert.deepEqual(codes(f), ['crlf', 'eos-in-effect', 'ignores-system', 'no-generation']);
  const crlf = f.find((x) => x.code === 'crlf')!;
  assert.equal(crlf.line, 1);
});

test('role alternation check: probes that raise are listed with the template message', () => {
  const src =
    "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{{ m.content }}{% endfor %}";
  const f = lintTemplate({
    source: src,
    specialTokens: specials,
    sample: [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
    ],
  });
  const roles = f.filter((x) => x.code === 'role-order');
  assert.deepEqual(
    roles.map((r) => r.message.split('"')[1]),
    ['user, user', 'assistant first', 'user, assistant, assistant'],
  );
  assert.ok(roles.every((r) => r.message.includes('Conversation roles must alternate') && r.line === 1));
  // The sample itself breaking alternation is an error, not a probe.
  const bad = lintTemplate({
    source: src,
    specialTokens: specials,
    sample: [
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
    ],
  });
  assert.deepEqual(codes(bad), ['rejects-sample']);
  assert.equal(bad[0].severity, 'error');
});

test('double BOS: template renders <s> and the post-processor adds it again (fixture checked by transformers)', async () => {
  const dir = join(TEMPLATES, 'bos');
  const c = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  const tok = await loadTokenizer(dir);
  const f = lintTemplate({ source: c.chat_template, specialTokens: { ...specials, bos_token: '<s>' }, tokenizer: tok });
  assert.ok(codes(f).includes('double-bos'));
  // The plain fixture tokenizer adds nothing: no finding.
  const plain = await loadTokenizer(TOKENIZER);
  assert.ok(
    !codes(
      lintTemplate({ source: c.chat_template, specialTokens: { ...specials, bos_token: '<s>' }, tokenizer: plain }),
    ).includes('double-bos'),
  );
});

test('eos_token never rendered (Llama 3 style) → eos-not-rendered names the stop word in use', () => {
  const src =
    '{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n{{ m.content }}<|eot_id|>{% endfor %}';
  const f = lintTemplate({ source: src, specialTokens: { eos_token: '<|end_of_text|>' } }).find(
    (x) => x.code === 'eos-not-rendered',
  );
  assert.ok(f);
  assert.match(f.message, /<\|eot_id\|>/);
});

test('a syntax error is the only finding, with its line', () => {
  const f = lintTemplate({ source: 'ok\n{% if x %}', specialTokens: specials });
  assert.equal(f.length, 1);
  assert.equal(f[0].code, 'syntax');
  assert.equal(f[0].line, 2);
});
