// The YAML schema behind `contributes.yamlValidation`, checked with ajv (strict mode, so a typo in a
// keyword fails too) on configs parsed by the `yaml` package as the YAML extension parses them (YAML 1.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import Ajv from 'ajv';
import { parse } from 'yaml';

const schema = JSON.parse(readFileSync('media/schema/train-config.schema.json', 'utf8'));
const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
const validate = ajv.compile(schema);

const LISTED = [
  'model_name_or_path',
  'template',
  'dataset',
  'dataset_dir',
  'cutoff_len',
  'per_device_train_batch_size',
  'gradient_accumulation_steps',
  'learning_rate',
  'lr_scheduler_type',
  'warmup_steps',
  'num_train_epochs',
  'max_steps',
  'max_samples',
  'val_size',
  'logging_steps',
  'save_steps',
  'output_dir',
  'bf16',
  'fp16',
  'seed',
  'preprocessing_num_workers',
  'dataloader_num_workers',
  'resume_from_checkpoint',
  'nproc_per_node',
];

const FIXTURE = `
### model
model_name_or_path: ../.fixtures/tiny-model
template: chatml
### dataset
dataset: demo_sft,identity
dataset_dir: data
cutoff_len: 256
max_samples: 64
val_size: 0.1
preprocessing_num_workers: 2
### train
per_device_train_batch_size: 4
gradient_accumulation_steps: 2
learning_rate: 1.0e-4
lr_scheduler_type: cosine
warmup_steps: 5
num_train_epochs: 2.0
max_steps: -1
logging_steps: 1
save_steps: 10
bf16: false
fp16: false
seed: 42
dataloader_num_workers: 0
resume_from_checkpoint: null
nproc_per_node: 1
### output
output_dir: saves/tiny/sft
stage: sft
# a key the runtime does not know: allowed here (the runtime reports it as a warning)
plot_loss: true
`;

function errors(cfg: unknown): string {
  validate(cfg);
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
}

test('every LLaMA-Factory key of the issue has a type, a description, and a default unless it is required', () => {
  for (const key of LISTED) {
    const p = schema.properties[key];
    assert.ok(p, `${key} missing`);
    assert.ok(p.type, `${key} has no type`);
    assert.ok(typeof p.description === 'string' && p.description.length > 10, `${key} has no description`);
    if (!schema.required.includes(key) && key !== 'template') assert.ok('default' in p, `${key} has no default`);
  }
  assert.ok(schema.properties.lr_scheduler_type.enum.includes('cosine'));
});

test('the schema matches the runtime: same keys, defaults, enums and required keys as batchscope_runtime.train.config', () => {
  const python = process.env.BATCHSCOPE_TEST_PYTHON ?? resolve('.venv/bin/python');
  const out = execFileSync(
    python,
    ['-c', 'import json; from batchscope_runtime.train.config import KEYS; print(json.dumps(KEYS))'],
    { cwd: 'runtime', encoding: 'utf8' },
  );
  const keys = JSON.parse(out) as Record<string, [string, unknown, string | null]>;
  assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(keys).sort());
  assert.deepEqual(
    [...schema.required].sort(),
    Object.keys(keys)
      .filter((k) => keys[k][2] === 'required')
      .sort(),
  );
  for (const [key, [kind, def, constraint]] of Object.entries(keys)) {
    const p = schema.properties[key];
    if (constraint !== 'required' && key !== 'template') assert.deepEqual(p.default, def, `${key} default`);
    if (kind.startsWith('choice:')) assert.deepEqual(p.enum, kind.slice(7).split('|'), `${key} enum`);
    const types = [p.type].flat();
    const want = {
      int: 'integer',
      float: 'number',
      bool: 'boolean',
      str: 'string',
      path: 'string',
      list: 'string',
      resume: 'boolean',
    }[kind];
    if (want) assert.ok(types.includes(want), `${key}: ${kind} → ${types}`);
  }
});

test('the fixture config validates', () => {
  const cfg = parse(FIXTURE);
  assert.equal(errors(cfg), '');
});

test('the demo config and the runtime fixture config validate', () => {
  const dirs = ['media/demo', 'examples', join(process.env.BATCHSCOPE_FIXTURES ?? 'test/.fixtures', 'train')].filter(
    (d) => existsSync(d),
  );
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) walk(p);
      else if (/^train.*\.ya?ml$|\.batchscope\.ya?ml$/.test(e.name)) found.push(p);
    }
  };
  dirs.forEach(walk);
  assert.ok(found.length >= 1, `no config found in ${dirs.join(', ')}`);
  for (const f of found) assert.equal(errors(parse(readFileSync(f, 'utf8'))), '', f);
});

test('bad types, unknown scheduler and missing required keys are rejected with the key named', () => {
  const base = parse(FIXTURE);
  assert.match(errors({ ...base, learning_rate: 'fast' }), /\/learning_rate must be number/);
  assert.match(errors({ ...base, per_device_train_batch_size: 2.5 }), /\/per_device_train_batch_size must be integer/);
  assert.match(errors({ ...base, bf16: 'yes' }), /\/bf16 must be boolean/);
  assert.match(
    errors({ ...base, lr_scheduler_type: 'cosine_annealing' }),
    /\/lr_scheduler_type must be equal to one of the allowed values/,
  );
  assert.match(errors({ ...base, cutoff_len: 0 }), /\/cutoff_len must be >= 1/);
  const { dataset: _d, ...noDataset } = base;
  assert.match(errors(noDataset), /must have required property 'dataset'/);
  // YAML 1.1 readers (PyYAML) read `1e-4` as a string; the YAML 1.2 parser VS Code uses reads a number.
  assert.equal(errors({ ...base, learning_rate: parse('x: 1e-4').x }), '');
});
