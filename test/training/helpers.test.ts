// Config-picking order, task terminal lines for the problem matcher, and the panel HTML's CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chooseConfig, rankConfigCandidates } from '../../src/core/training/pickConfig';
import { eventLines, findKeyLine, MATCHER_LINE } from '../../src/core/training/terminalFormat';
import { panelCsp, panelHtml } from '../../src/panels/shell';

test('config choice: argument URI, then the active YAML editor, then a quick pick (configs first)', () => {
  assert.deepEqual(chooseConfig({ argPath: '/w/a.yaml', activePath: '/w/b.yaml', workspaceYaml: ['/w/c.yaml'] }), {
    kind: 'arg',
    path: '/w/a.yaml',
  });
  assert.deepEqual(chooseConfig({ argPath: '/w/readme.md', activePath: '/w/b.yml' }), {
    kind: 'active',
    path: '/w/b.yml',
  });
  assert.deepEqual(
    chooseConfig({
      activePath: '/w/x.py',
      workspaceYaml: ['/w/.github/ci.yaml', '/w/z/train_lora.yaml', '/w/a.batchscope.yaml', '/w/z/qwen_sft.yml'],
    }),
    {
      kind: 'pick',
      candidates: ['/w/a.batchscope.yaml', '/w/z/train_lora.yaml', '/w/z/qwen_sft.yml', '/w/.github/ci.yaml'],
    },
  );
  assert.deepEqual(chooseConfig({ workspaceYaml: ['/w/notes.txt'] }), { kind: 'none' });
  assert.deepEqual(rankConfigCandidates(['/b.yaml', '/b.yaml', '/a.yaml']), ['/a.yaml', '/b.yaml']);
});

const YAML = 'model_name_or_path: m\ndataset: d\nper_device_train_batch_size: 64\noutput_dir: o\n';
const ctx = { config: '/ws/train.yaml', configText: YAML };

function matcher(line: string) {
  // The same regexp package.json contributes for $batchscope-train.
  const pm = JSON.parse(readFileSync('package.json', 'utf8')).contributes.problemMatchers.find(
    (p: { name: string }) => p.name === 'batchscope-train',
  );
  const m = new RegExp(pm.pattern.regexp).exec(line);
  return (
    m && {
      severity: m[pm.pattern.severity],
      file: m[pm.pattern.file],
      line: Number(m[pm.pattern.line]),
      col: Number(m[pm.pattern.column]),
      message: m[pm.pattern.message],
    }
  );
}

test('config errors print as FILE:LINE:COL lines the contributed problem matcher reads', () => {
  const lines = eventLines(
    {
      type: 'error',
      time: 1,
      error_type: 'ConfigError',
      message: "learning_rate: expected a number, got 'fast'",
      hint: null,
      location: { file: '/ws/train.yaml', line: 7, col: 16, key: 'learning_rate' },
    },
    ctx,
  );
  assert.deepEqual(matcher(lines[0]), {
    severity: 'error',
    file: '/ws/train.yaml',
    line: 7,
    col: 16,
    message: "ConfigError: learning_rate: expected a number, got 'fast'",
  });
  assert.match(lines[0], MATCHER_LINE);
  const warn = eventLines(
    {
      type: 'warning',
      time: 1,
      message: "unknown key 'lora_rank' is ignored",
      code: 'unknown_key',
      location: { file: '/ws/train.yaml', line: 3, col: 1 },
    },
    ctx,
  );
  assert.equal(matcher(warn[0])?.severity, 'warning');
});

test('CUDA OOM without a location points at per_device_train_batch_size in the YAML', () => {
  const lines = eventLines(
    {
      type: 'error',
      time: 1,
      error_type: 'OutOfMemoryError',
      message: 'CUDA out of memory. Tried to allocate 2.00 GiB',
      hint: 'lower per_device_train_batch_size or cutoff_len',
      traceback: 'Traceback (most recent call last):\n  File "x.py"',
      step: 3,
    },
    ctx,
  );
  assert.deepEqual(matcher(lines[0]), {
    severity: 'error',
    file: '/ws/train.yaml',
    line: 3,
    col: 1,
    message:
      'OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (lower per_device_train_batch_size or cutoff_len)',
  });
  assert.equal(lines[1], 'Traceback (most recent call last):');
  // Any other error without a location stays a plain line (no diagnostic on a guessed line).
  const other = eventLines({ type: 'error', time: 1, error_type: 'RuntimeError', message: 'boom' }, ctx);
  assert.equal(matcher(other[0]), null);
  assert.deepEqual(
    findKeyLine(
      'a: 1\n  per_device_train_batch_size: 2\nper_device_train_batch_size : 4',
      'per_device_train_batch_size',
    ),
    { line: 3, col: 1 },
  );
});

test('step lines carry step, loss, throughput, data wait and ETA', () => {
  const [line] = eventLines(
    {
      type: 'step',
      time: 1,
      step: 12,
      total_steps: 30,
      epoch: 0.8,
      loss: 3.21,
      lr: 5e-5,
      grad_norm: 1,
      tokens_per_s: 12345,
      samples_per_s: 40,
      data_wait_ms: 3.4,
      step_ms: 120,
      elapsed_s: 12,
      eta_s: 5,
      gpu_mem_allocated: 2 ** 31,
      gpu_mem_reserved: 2 ** 32,
    },
    ctx,
  );
  assert.equal(line, 'step 12/30 · loss 3.21 · lr 5.00e-5 · 12.3k tok/s · data 3/120 ms · mem 2.00 GiB · ETA 5s');
});

test('panel HTML: strict CSP with a nonce, no inline script, no remote sources', () => {
  const html = panelHtml({
    cspSource: 'vscode-resource:',
    scriptUri: 'vscode-resource:/dist/webview/training.js',
    styleUri: 'vscode-resource:/dist/webview/training.css',
    title: 'T <x>',
    body: '<div id="status"></div>',
    nonce: 'abc123',
  });
  assert.match(
    html,
    /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: vscode-resource:; style-src vscode-resource:; font-src vscode-resource:; script-src 'nonce-abc123'">/,
  );
  assert.match(html, /<script nonce="abc123" src="vscode-resource:\/dist\/webview\/training.js"><\/script>/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.match(html, /<title>T &lt;x&gt;<\/title>/);
  assert.doesNotMatch(panelCsp('x', 'n'), /unsafe|https?:/);
});
