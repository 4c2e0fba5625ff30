// The conversation view's turns, from a real sharegpt JSONL fixture read through the readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../../src/core/datasets/open';
import { conversationTurns } from '../../../src/panels/dataset/conversation';
import { fixturePath, manifest, readJsonl } from '../../data/fixtures';

test('sharegpt rows become turns with chat roles, in order, with their full text', async () => {
  const m = manifest();
  const src = await openDataset(fixturePath(m.sharegpt_jsonl));
  try {
    const col = src.columns.find((c) => c.role === 'messages');
    assert.ok(col, 'the conversations column is recognised');
    const raw = readJsonl(m.sharegpt_jsonl.path) as { conversations: { from: string; value: string }[] }[];
    const rows = await src.readRows(0, raw.length);
    const role: Record<string, string> = { human: 'user', gpt: 'assistant', system: 'system' };
    rows.forEach((r, i) => {
      const turns = conversationTurns(r.values[col!.name]);
      assert.deepEqual(
        turns,
        raw[i].conversations.map((t) => ({ role: role[t.from], content: t.value })),
      );
    });
  } finally {
    await src.close();
  }
});

test('OpenAI messages keep tool calls; cells that are not conversations give null', () => {
  const turns = conversationTurns([
    { role: 'user', content: 'weather?' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    },
    { role: 'tool', content: '18°C' },
    { role: 'user', content: [{ type: 'text', text: 'look: ' }, { type: 'image' }] },
  ]);
  assert.deepEqual(turns, [
    { role: 'user', content: 'weather?' },
    {
      role: 'assistant',
      content: '',
      toolCalls: '[{"type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]',
    },
    { role: 'tool', content: '18°C' },
    { role: 'user', content: 'look: [image]' },
  ]);
  assert.equal(conversationTurns('text'), null);
  assert.equal(conversationTurns([{ x: 1 }]), null);
  assert.equal(conversationTurns([]), null);
});
