// Bad launch configurations end in a clear message naming what is wrong, never a hang: checked
// through the adapter with the real runtime (no torch import on these paths).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PYTHON, REPO, RUNTIME, configure, openSession } from './harness';

test('launch without program/module/config names the three attributes', async () => {
  const s = await openSession();
  try {
    await assert.rejects(
      s.dc.launchRequest({ python: PYTHON, runtimePath: RUNTIME } as DebugProtocol.LaunchRequestArguments),
      /"program".*"module".*"config"/,
    );
    await assert.rejects(
      s.dc.launchRequest({ program: 'a.py', module: 'b', python: PYTHON } as DebugProtocol.LaunchRequestArguments),
      /only one of/,
    );
    await assert.rejects(
      s.dc.launchRequest({ program: 'a.py', hangTimeout: -1, python: PYTHON } as DebugProtocol.LaunchRequestArguments),
      /hangTimeout/,
    );
    await assert.rejects(
      s.dc.launchRequest({
        config: 'train.yaml',
        args: ['x=1'],
        python: PYTHON,
      } as DebugProtocol.LaunchRequestArguments),
      /"args" applies to "program" and "module"/,
    );
  } finally {
    await s.dc.stop();
  }
});

test('an interpreter that does not exist is named in the error', async () => {
  const s = await openSession();
  try {
    await assert.rejects(
      s.dc.launchRequest({
        program: 'x.py',
        cwd: REPO,
        python: '/nonexistent/python3',
        runtimePath: RUNTIME,
      } as DebugProtocol.LaunchRequestArguments),
      /\/nonexistent\/python3/,
    );
  } finally {
    await s.dc.stop();
  }
});

test("a program that does not exist fails the launch with the runtime's message", async () => {
  const s = await openSession();
  try {
    await assert.rejects(
      configure(
        s,
        s.dc.launchRequest({
          program: '/nonexistent/train.py',
          cwd: REPO,
          python: PYTHON,
          runtimePath: RUNTIME,
        } as DebugProtocol.LaunchRequestArguments),
      ),
      /program not found: \/nonexistent\/train\.py/,
    );
  } finally {
    await s.dc.stop();
  }
});
