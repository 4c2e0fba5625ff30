// Renderer behaviour not visible in conformance outputs: caching, spans in UTF-16 vs code points,
// nested generation blocks, pinned `now`, CRLF line numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, renderChat, TemplateError, toCodePointSpans } from '../../src/core/template/render';
import { parseNow, strftime } from '../../src/core/template/jinja/strftime';

const user = [{ role: 'user', content: 'hi' }];

test('parsed templates are cached by source (transformers caches its compiled template too)', () => {
  const src = '{% for m in messages %}{{ m.content }}{% endfor %}';
  assert.equal(compileTemplate(src), compileTemplate(src));
});

test('generation spans as AssistantTracker records them: UTF-16 offsets for JS, code points for Python, innermost first', () => {
  // A span starts at what the template has yielded so far: a nested block (rendered inside its parent's
  // caller) starts where the outer one does, as transformers reports [(1, 3), (1, 5)].
  const r = renderChat('🙂{% generation %}a{% generation %}b🙂{% endgeneration %}c{% endgeneration %}', {
    messages: user,
  });
  assert.equal(r.text, '🙂ab🙂c');
  assert.deepEqual(r.spans, [
    { start: 2, end: 4 },
    { start: 2, end: 7 },
  ]);
  assert.deepEqual(toCodePointSpans(r.text, r.spans), [
    { start: 1, end: 3 },
    { start: 1, end: 5 },
  ]);
});

test('generation spans inside macros and set blocks start at the output yielded so far (transformers: [(3, 5), (7, 9)])', () => {
  const t =
    '{% macro m() %}xx{% generation %}ab{% endgeneration %}{% endmacro %}012{{ m() }}{% set s %}q{% generation %}cd{% endgeneration %}{% endset %}[{{ s }}]';
  const r = renderChat(t, { messages: user });
  assert.equal(r.text, '012xxab[qcd]');
  assert.deepEqual(toCodePointSpans(r.text, r.spans), [
    { start: 3, end: 5 },
    { start: 7, end: 9 },
  ]);
});

test('strftime_now follows the pinned now; Python strftime codes in the C locale', () => {
  const r = renderChat("{{ strftime_now('%Y-%m-%d %a %b %H:%M %%') }}", {
    messages: user,
    now: parseNow('2023-01-02T03:04:05'),
  });
  assert.equal(r.text, '2023-01-02 Mon Jan 03:04 %');
  assert.equal(strftime(parseNow('2024-12-31'), '%j %U %W %y %I%p %-m/%-d'), '366 52 53 24 12AM 12/31');
  assert.throws(() => parseNow('yesterday'), /not an ISO date/);
});

test('CRLF templates report lines as the file shows them', () => {
  try {
    renderChat('a\r\nb\r\n{{ 1 + "x" }}', { messages: user });
    assert.fail('must raise');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.deepEqual([e.info.line, e.info.column, e.info.pyClass], [3, 1, 'TypeError']);
  }
});
