// Dataset rows → chat messages, mapped as LLaMA-Factory's dataset_info.json `columns` and `tags` say
// (alpaca: instruction/input/output/system/history; sharegpt: conversations with from/value tags),
// or detected from the row itself (OpenAI-style `messages`, sharegpt `conversations`, alpaca fields).
import { parseExactJson } from './exactJson';
import type { ChatMessage } from './types';

/** One entry of LLaMA-Factory's dataset_info.json. */
export interface DatasetInfoEntry {
  formatting?: 'alpaca' | 'sharegpt' | 'openai' | string;
  columns?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface RowMessages {
  messages: ChatMessage[];
  tools?: unknown[];
}

export class RowMappingError extends Error {}

const SHAREGPT_TAGS = {
  role_tag: 'from',
  content_tag: 'value',
  user_tag: 'human',
  assistant_tag: 'gpt',
  observation_tag: 'observation',
  function_tag: 'function_call',
  system_tag: 'system',
};

const asText = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);

function parseTools(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v.trim()) {
    try {
      const t = parseExactJson(v);
      return Array.isArray(t) ? t : [t];
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function alpaca(row: Record<string, unknown>, cols: Record<string, string>): RowMessages {
  const c = {
    prompt: 'instruction',
    query: 'input',
    response: 'output',
    system: 'system',
    history: 'history',
    ...cols,
  };
  const messages: ChatMessage[] = [];
  const system = row[c.system];
  if (typeof system === 'string' && system) messages.push({ role: 'system', content: system });
  const history = row[c.history];
  if (Array.isArray(history))
    for (const turn of history) {
      if (Array.isArray(turn) && turn.length >= 2)
        messages.push({ role: 'user', content: asText(turn[0]) }, { role: 'assistant', content: asText(turn[1]) });
    }
  const prompt = [row[c.prompt], row[c.query]].filter((x) => typeof x === 'string' && x).join('\n');
  messages.push({ role: 'user', content: prompt });
  const response = row[c.response];
  if (response !== undefined && response !== null)
    messages.push({ role: 'assistant', content: asText(Array.isArray(response) ? response[0] : response) });
  return { messages };
}

function sharegpt(
  row: Record<string, unknown>,
  cols: Record<string, string>,
  tagsIn: Record<string, string>,
): RowMessages {
  const c = { messages: 'conversations', system: 'system', tools: 'tools', ...cols };
  const t = { ...SHAREGPT_TAGS, ...tagsIn };
  const turns = row[c.messages];
  if (!Array.isArray(turns)) throw new RowMappingError(`column "${c.messages}" is not a list of turns`);
  const roleOf: Record<string, string> = {
    [t.user_tag]: 'user',
    [t.assistant_tag]: 'assistant',
    [t.observation_tag]: 'tool',
    [t.function_tag]: 'assistant',
    [t.system_tag]: 'system',
  };
  const messages: ChatMessage[] = [];
  const system = row[c.system];
  if (typeof system === 'string' && system) messages.push({ role: 'system', content: system });
  for (const turn of turns) {
    const o = (turn ?? {}) as Record<string, unknown>;
    const tag = String(o[t.role_tag] ?? '');
    const role = roleOf[tag];
    if (!role)
      throw new RowMappingError(`unknown ${t.role_tag} "${tag}" (expected one of ${Object.keys(roleOf).join(', ')})`);
    const content = asText(o[t.content_tag]);
    if (tag === t.function_tag) {
      let call: unknown = content;
      try {
        call = parseExactJson(content);
      } catch {
        /* keep the text */
      }
      const calls = (Array.isArray(call) ? call : [call]).map((f) => ({ type: 'function', function: f }));
      messages.push({ role, content: '', tool_calls: calls });
    } else messages.push({ role, content });
  }
  return { messages, tools: parseTools(row[c.tools]) };
}

/**
 * Maps a dataset row to messages. With a dataset_info.json entry the mapping follows it; without, the
 * format is detected from the row's fields. Throws RowMappingError naming the field that does not fit.
 */
export function rowToMessages(row: Record<string, unknown>, entry?: DatasetInfoEntry): RowMessages {
  const cols = entry?.columns ?? {};
  if (entry?.formatting === 'sharegpt' || entry?.formatting === 'openai') {
    const tags =
      entry.formatting === 'openai'
        ? {
            role_tag: 'role',
            content_tag: 'content',
            user_tag: 'user',
            assistant_tag: 'assistant',
            observation_tag: 'tool',
            system_tag: 'system',
            ...entry.tags,
          }
        : (entry.tags ?? {});
    return sharegpt(row, cols, tags);
  }
  if (entry) return alpaca(row, cols);
  // No entry: detect.
  for (const key of ['messages', 'conversations', 'conversation']) {
    const v = row[key];
    if (Array.isArray(v) && v.length && typeof v[0] === 'object' && v[0] !== null) {
      const first = v[0] as Record<string, unknown>;
      if ('role' in first)
        return {
          messages: v.map((m) => ({ ...(m as Record<string, unknown>) }) as ChatMessage),
          tools: parseTools(row.tools),
        };
      if ('from' in first) return sharegpt(row, { messages: key }, {});
    }
  }
  if ('instruction' in row || 'output' in row) return alpaca(row, {});
  if (typeof row.prompt === 'string' && (typeof row.completion === 'string' || typeof row.response === 'string'))
    return {
      messages: [
        { role: 'user', content: row.prompt },
        { role: 'assistant', content: String(row.completion ?? row.response) },
      ],
    };
  throw new RowMappingError(
    `cannot tell the chat format of this row (fields: ${Object.keys(row).join(', ')}); pass its dataset_info.json entry`,
  );
}
