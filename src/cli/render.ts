// `batchscope render TEMPLATE --messages FILE …`: prints exactly what transformers' apply_chat_template
// (tokenize=False) renders, for CI checks and scripting. Errors go to stderr with the template line/column.
import { errorMessage } from '../core/datasets/errors';
import { renderChat, TemplateError, toCodePointSpans } from '../core/template/render';
import { prepareTemplate, readJsonFile, readMessagesFile } from '../core/template/load';
import { parseNow } from '../core/template/jinja/strftime';
import { parseArgs, UsageError } from './args';

export const summary = 'render a chat template exactly as transformers does (text, or --mask for assistant spans)';

const USAGE = `usage: batchscope render TEMPLATE --messages FILE [options]

  TEMPLATE                   a .jinja file, a tokenizer_config.json (its special tokens join the variables)
                             or a chat_template.json
  --messages FILE            JSON array of messages, or {"messages": [...], "tools": [...]}
  --tools FILE               JSON array of tool schemas
  --add-generation-prompt    append the assistant header
  --continue-final-message   leave the last message open (tag-and-cut, as transformers)
  --kwargs JSON              extra template variables (e.g. '{"enable_thinking": false}'), merged over the special tokens
  --now ISO                  pin strftime_now (e.g. 2024-07-26T14:05:09)
  --template-name NAME       pick a named template (default: tool_use with tools, else default)
  --mask                     print JSON {"text", "spans"}: {% generation %} spans as [start, end] character offsets
Exit status: 0 rendered; 1 the template raised (message and template line/column on stderr); 2 usage or unreadable input.`;

export async function run(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs(
      argv,
      ['messages', 'tools', 'kwargs', 'now', 'template-name'],
      ['add-generation-prompt', 'continue-final-message', 'mask', 'help'],
    );
    if (a.flags.has('help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (a.positional.length !== 1) throw new UsageError('expected exactly one TEMPLATE');
    if (typeof a.flags.get('messages') !== 'string') throw new UsageError('--messages FILE is required');
  } catch (err) {
    process.stderr.write(`batchscope render: ${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  const file = a.positional[0];
  let input;
  try {
    const m = await readMessagesFile(a.flags.get('messages') as string);
    const toolsFile = a.flags.get('tools');
    const tools = typeof toolsFile === 'string' ? ((await readJsonFile(toolsFile)) as unknown[]) : m.tools;
    const kw = a.flags.get('kwargs');
    let kwargs: Record<string, unknown> = {};
    if (typeof kw === 'string') {
      try {
        kwargs = JSON.parse(kw) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`--kwargs: not valid JSON: ${(e as Error).message}`);
      }
      if (!kwargs || typeof kwargs !== 'object' || Array.isArray(kwargs))
        throw new Error('--kwargs must be a JSON object');
    }
    const nowFlag = a.flags.get('now');
    const prepared = await prepareTemplate(file, {
      name: a.flags.get('template-name') as string | undefined,
      hasTools: !!tools,
      kwargs,
    });
    input = { prepared, messages: m.messages, tools, now: typeof nowFlag === 'string' ? parseNow(nowFlag) : undefined };
  } catch (err) {
    process.stderr.write(`batchscope render: ${errorMessage(err)}\n`);
    return 2;
  }
  try {
    const r = renderChat(input.prepared.template.source, {
      messages: input.messages,
      tools: input.tools,
      addGenerationPrompt: a.flags.has('add-generation-prompt'),
      continueFinalMessage: a.flags.has('continue-final-message'),
      variables: input.prepared.variables,
      now: input.now,
    });
    if (a.flags.has('mask')) {
      const spans = toCodePointSpans(r.text, r.spans).map((s) => [s.start, s.end]);
      process.stdout.write(JSON.stringify({ text: r.text, spans }));
    } else process.stdout.write(r.text);
    return 0;
  } catch (err) {
    if (err instanceof TemplateError) {
      const i = err.info;
      const where = i.line !== undefined ? ` (template line ${i.line}, column ${i.column ?? 1})` : '';
      process.stderr.write(
        `batchscope render: ${input.prepared.template.file}: ${i.pyClass ?? 'Error'}: ${i.message}${where}\n`,
      );
      return 1;
    }
    throw err;
  }
}
