// Workspace trust: the manifest declares limited support with batchscope.python restricted, the
// refusal names the action, and every command that runs an interpreter goes through the one gate
// (src/vscode/trust.ts) before anything else — checked on the glue's source, since the gate itself
// needs VS Code (the e2e suite drives it in Restricted Mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RESTRICTED_SETTINGS, TRUST_GATED_COMMANDS, UntrustedWorkspaceError, untrustedMessage } from '../../src/runtime/trust';

const REPO = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const glueDir = join(REPO, 'src/vscode');
const glue = Object.fromEntries(readdirSync(glueDir).filter((f) => f.endsWith('.ts')).map((f) => [f, readFileSync(join(glueDir, f), 'utf8')]));

test('package.json: untrustedWorkspaces is limited, and every setting naming a program is restricted', () => {
  const u = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(u?.supported, 'limited');
  assert.ok(typeof u.description === 'string' && u.description.length > 20);
  assert.deepEqual([...u.restrictedConfigurations].sort(), [...RESTRICTED_SETTINGS].sort());
  const props = pkg.contributes.configuration.properties as Record<string, { description: string }>;
  for (const key of RESTRICTED_SETTINGS) assert.ok(props[key], `${key} is a contributed setting`);
  // A setting that names an interpreter or executable leads to running code: it must be restricted.
  for (const [key, p] of Object.entries(props)) {
    if (/interpreter|executable|command line/i.test(p.description)) assert.ok(u.restrictedConfigurations.includes(key), `${key} names a program but is not restricted`);
  }
});

test('the refusal names the action, says what still works, and is what UntrustedWorkspaceError carries', () => {
  const m = untrustedMessage('Training');
  assert.match(m, /^Batchscope: Training runs Python .* needs a trusted workspace\./);
  assert.match(m, /Datasets, chat templates and model weights open in Restricted Mode\./);
  const e = new UntrustedWorkspaceError('The doctor');
  assert.equal(e.action, 'The doctor');
  assert.equal(e.message, untrustedMessage('The doctor'));
});

test('every gated command is contributed, and its handler asks requireTrust before doing anything', () => {
  const contributed = new Set((pkg.contributes.commands as { command: string }[]).map((c) => c.command));
  for (const [command, action] of Object.entries(TRUST_GATED_COMMANDS)) {
    assert.ok(contributed.has(command), `${command} is contributed`);
    const file = Object.entries(glue).find(([, src]) => src.includes(`registerCommand('${command}'`) || src.includes(`const COMMAND = '${command}';`));
    assert.ok(file, `${command} is registered in src/vscode`);
    const src = file[1];
    const at = src.includes(`registerCommand('${command}'`) ? src.indexOf(`registerCommand('${command}'`) : src.indexOf('registerCommand(COMMAND');
    const body = src.slice(at);
    const firstStatement = body.split('\n')[1].trim();
    const usesConstant = firstStatement === 'if (!requireTrust(ACTION)) return;' && src.includes(`const ACTION = '${action}';`);
    assert.ok(usesConstant || firstStatement === `if (!requireTrust('${action}')) return;`, `${command} in ${file[0]}: ${firstStatement}`);
  }
});

test('the interpreter setting is read in one place, after the trust check; the viewers never touch the gate', () => {
  const readers = Object.entries(glue).filter(([, src]) => src.includes('config.python('));
  assert.deepEqual(readers.map(([f]) => f), ['pythonEnv.ts']);
  const src = glue['pythonEnv.ts'];
  const fn = src.slice(src.indexOf('async function interpreterChoice'));
  assert.ok(fn.indexOf('assertTrusted(action)') >= 0 && fn.indexOf('assertTrusted(action)') < fn.indexOf('config.python('));
  // Debug launches resolve the interpreter through the same function, after their own gate.
  assert.match(glue['debug.ts'], /if \(!requireTrust\(ACTION\)\) return undefined;[\s\S]*resolveInterpreter\(ACTION, resource\)/);
  // Training tasks from tasks.json check trust in the task's terminal before reading the config.
  assert.match(glue['trainTask.ts'], /private async run\(\): Promise<void> \{[\s\S]{0,200}if \(!isTrusted\(\)\)/);
  for (const viewer of ['dataset.ts', 'weights.ts', 'template.ts', 'templatePreview.ts', 'templateFs.ts']) assert.doesNotMatch(glue[viewer], /requireTrust|assertTrusted/, viewer);
  // Nothing outside config.ts reads settings directly.
  for (const [f, s] of Object.entries(glue)) if (f !== 'config.ts') assert.doesNotMatch(s, /getConfiguration\(/, f);
});
