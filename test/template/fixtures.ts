// Paths shared by the template tests (fixtures are built by scripts/fixtures.sh).
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '../..');
export const FIX = join(REPO, 'test/.fixtures');
export const TOKENIZER = join(FIX, 'tokenizer');
export const TEMPLATES = join(FIX, 'templates');
export const PY = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');
