import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowToMessages, RowMappingError } from '../../src/core/template/rowToMessages';

test('alpaca (LLaMA-Factory defaults): system, history pairs, instruction + input joined by a newline', () => {
  const r = rowToMessages(
    {
      instruction: 'Translate',
      input: 'good morning',
      output: 'Guten Morgen',
      system: 'Be brief.',
      history: [['hi', 'hello']],
    },
    { columns: { prompt: 'instruction', query: 'input', response: 'output', system: 'system', history: 'history' } },
  );
  assert.deepEqual(r.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'hello' },
    { role: 'user', content: 'Translate\ngood morning' },
    { role: 'assistant', content: 'Guten Morgen' },
  ]);
});

test('alpaca with renamed columns and an empty input', () => {
  const r = rowToMessages(
    { q: 'Why?', a: 'Because.', inp: '' },
    { columns: { prompt: 'q', query: 'inp', response: 'a' } },
  );
  assert.deepEqual(r.messages, [
    { role: 'user', content: 'Why?' },
    { role: 'assistant', content: 'Because.' },
  ]);
});

test('sharegpt with custom tags, function calls, observations and tools', () => {
  const row = {
    conversations: [
      { from: 'human', value: 'Weather?' },
      { from: 'function_call', value: '{"name": "get_weather", "arguments": {"city": "Paris"}}' },
      { from: 'observation', value: '{"temp": 21}' },
      { from: 'gpt', value: 'It is 21.' },
    ],
    system: 'Use tools.',
    tools: '[{"name": "get_weather"}]',
  };
  const r = rowToMessages(row, {
    formatting: 'sharegpt',
    columns: { messages: 'conversations', system: 'system', tools: 'tools' },
  });
  assert.deepEqual(r.messages, [
    { role: 'system', content: 'Use tools.' },
    { role: 'user', content: 'Weather?' },
    {
      role: 'assistant',
      content: '',
      tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city: 'Paris' } } }],
    },
    { role: 'tool', content: '{"temp": 21}' },
    { role: 'assistant', content: 'It is 21.' },
  ]);
  assert.deepEqual(r.tools, [{ name: 'get_weather' }]);
  const tagged = rowToMessages(
    {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
      ],
    },
    {
      formatting: 'sharegpt',
      columns: { messages: 'messages' },
      tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant' },
    },
  );
  assert.deepEqual(tagged.messages, [
    { role: 'user', content: 'a' },
    { role: 'assistant', content: 'b' },
  ]);
});

test('detection without an entry: OpenAI messages, sharegpt conversations, alpaca, prompt/completion', () => {
  assert.deepEqual(rowToMessages({ messages: [{ role: 'user', content: 'x' }] }).messages, [
    { role: 'user', content: 'x' },
  ]);
  assert.deepEqual(
    rowToMessages({
      conversations: [
        { from: 'human', value: 'x' },
        { from: 'gpt', value: 'y' },
      ],
    }).messages,
    [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: 'y' },
    ],
  );
  assert.deepEqual(rowToMessages({ instruction: 'i', output: 'o' }).messages, [
    { role: 'user', content: 'i' },
    { role: 'assistant', content: 'o' },
  ]);
  assert.deepEqual(rowToMessages({ prompt: 'p', completion: 'c' }).messages, [
    { role: 'user', content: 'p' },
    { role: 'assistant', content: 'c' },
  ]);
});

test('rows that fit no format raise RowMappingError naming the problem', () => {
  assert.throws(
    () => rowToMessages({ text: 'plain' }),
    (e: unknown) => e instanceof RowMappingError && /fields: text/.test((e as Error).message),
  );
  assert.throws(
    () => rowToMessages({ conversations: [{ from: 'robot', value: 'x' }] }, { formatting: 'sharegpt' }),
    (e: unknown) => e instanceof RowMappingError && /unknown from "robot"/.test((e as Error).message),
  );
});
