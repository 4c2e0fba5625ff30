// `batchscope lint-template TEMPLATE`: silent-training-bug lints (EOS outside trained spans, double BOS,
// dropped system message, rejected role orders, CRLF) against the tokenizer beside the template.
import { errorMessage } from '../core/datasets/errors';
import { formatFinding, lintTemplate } from '../core/template/lint';
import { prepareTemplate, readMessagesFile } from '../core/template/load';
import { parseNow } from '../core/template/jinja/strftime';
import { loadTokenizer } from '../core/tokens/tokenizer';
import type { LintFinding } from '../core/template/types';
import { parseArgs, UsageError } from './args';

export const summary = 'lint a chat template against its tokenizer (EOS not trained, double BOS, dropped system, …)';

const USAGE = `usage: batchscope lint-template TEMPLATE [--messages FILE] [--tokenizer DIR] [--kwargs JSON] [--template-name NAME] [--json]

  TEMPLATE         a .jinja file, a tokenizer_config.json or a chat_template.json
  --messages FILE  the sample conversation to check (default: system, user, assistant, user, assistant)
  --tokenizer DIR  folder or tokenizer.json (default: the one beside TEMPLATE), for the double-BOS check
  --json           print the findings as a JSON array
Exit status: 0 no errors (warnings may be printed); 1 error findings; 2 usage or unreadable input.`;

export async function run(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs(argv, ['messages', 'tokenizer', 'kwargs', 'template-name', 'now'], ['json', 'help']);
    if (a.flags.has('help')) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (a.positional.length !== 1) throw new UsageError('expected exactly one TEMPLATE');
  } catch (err) {
    process.stderr.write(`batchscope lint-template: ${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  let findings: LintFinding[];
  let file: string;
  try {
    const kw = a.flags.get('kwargs');
    const kwargs = typeof kw === 'string' ? (JSON.parse(kw) as Record<string, unknown>) : {};
    const prepared = await prepareTemplate(a.positional[0], {
      name: a.flags.get('template-name') as string | undefined,
      kwargs,
    });
    file = prepared.template.file;
    const msgs =
      typeof a.flags.get('messages') === 'string'
        ? await readMessagesFile(a.flags.get('messages') as string)
        : undefined;
    const tokDir = (a.flags.get('tokenizer') as string | undefined) ?? prepared.bundle.tokenizerDir;
    const tokenizer = tokDir ? await loadTokenizer(tokDir) : undefined;
    const nowFlag = a.flags.get('now');
    findings = lintTemplate({
      source: prepared.template.source,
      variables: prepared.variables,
      tokenizer,
      sample: msgs?.messages,
      tools: msgs?.tools,
      now: typeof nowFlag === 'string' ? parseNow(nowFlag) : undefined,
    });
  } catch (err) {
    process.stderr.write(`batchscope lint-template: ${errorMessage(err)}\n`);
    return 2;
  }
  if (a.flags.has('json')) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  else if (!findings.length) process.stdout.write(`${file}: no findings\n`);
  else process.stdout.write(findings.map((f) => formatFinding(file, f)).join('\n') + '\n');
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
