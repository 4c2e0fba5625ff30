// A `messages` / sharegpt `conversations` cell as turns (role, text, tool calls) for the detail pane's
// conversation view. Pure: no vscode, unit-tested.
import type { CellValue } from '../../core/datasets/types';
import { stringifyCells } from '../../core/datasets/jsonOut';

export interface Turn {
  role: string;
  content: string;
  /** Tool calls of the turn as JSON text (OpenAI `tool_calls`, or a `function_call`). */
  toolCalls?: string;
}

/** sharegpt `from` names → chat roles (LLaMA-Factory's defaults). */
const ROLE: Record<string, string> = {
  human: 'user',
  gpt: 'assistant',
  system: 'system',
  function_call: 'tool call',
  observation: 'tool',
};
/** Text per turn is capped: the grid cell keeps the full JSON. */
const MAX_TURN_CHARS = 200_000;

function text(v: CellValue | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  // Multimodal content: a list of parts ({type: text, text} / {type: image …}).
  if (Array.isArray(v)) {
    return v
      .map((p) =>
        p && typeof p === 'object' && !Array.isArray(p) && !(p instanceof Uint8Array)
          ? typeof p.text === 'string'
            ? p.text
            : `[${String(p.type ?? 'part')}]`
          : text(p),
      )
      .join('');
  }
  return stringifyCells({ v }).slice(5, -1);
}

/** The turns of a conversation cell, or null when the cell is not a list of role/content objects. */
export function conversationTurns(v: CellValue): Turn[] | null {
  if (!Array.isArray(v) || !v.length) return null;
  const turns: Turn[] = [];
  for (const m of v) {
    if (!m || typeof m !== 'object' || Array.isArray(m) || m instanceof Uint8Array) return null;
    const role = typeof m.role === 'string' ? m.role : typeof m.from === 'string' ? (ROLE[m.from] ?? m.from) : null;
    if (role === null) return null;
    let content = text(m.content ?? m.value);
    if (content.length > MAX_TURN_CHARS) content = `${content.slice(0, MAX_TURN_CHARS)}…`;
    const calls = m.tool_calls ?? m.function_call;
    const turn: Turn = { role, content };
    if (calls !== null && calls !== undefined && !(Array.isArray(calls) && !calls.length))
      turn.toolCalls = stringifyCells({ v: calls }).slice(5, -1);
    turns.push(turn);
  }
  return turns;
}
