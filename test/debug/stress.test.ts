// Issue 11, many cycles: 1,000 next/continue cycles against a real DataLoader with 2 workers. Every
// thread's events strictly alternate stopped → continued → stopped (a `continued` never follows the
// `stopped` it should precede), and the adapter's memory stays flat. The adapter runs in this test
// process (served on a loopback port, as `--server` does), so its heap is measured here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DataLoaderSession } from '../../src/dap/session';
import { launchArgs } from './harness';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const CYCLES = Number(process.env.BATCHSCOPE_STRESS_CYCLES ?? 1000);

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Per-thread order checker and a queue of stops not handled yet; keeps nothing else (memory). */
class Order {
  readonly stopped = new Set<number>();
  readonly violations: string[] = [];
  readonly queue: Array<{ threadId: number; reason: string }> = [];
  private wake?: () => void;
  terminated = false;
  events = 0;

  constructor(dc: DebugClient) {
    dc.on('stopped', (e: DebugProtocol.StoppedEvent) => {
      this.events++;
      const tid = e.body.threadId!;
      if (this.stopped.has(tid) && this.violations.length < 10)
        this.violations.push(`stopped twice on thread ${tid} (event ${this.events})`);
      this.stopped.add(tid);
      this.queue.push({ threadId: tid, reason: e.body.reason });
      this.wake?.();
    });
    dc.on('continued', (e: DebugProtocol.ContinuedEvent) => {
      this.events++;
      const tid = e.body.threadId;
      if (!this.stopped.has(tid) && this.violations.length < 10)
        this.violations.push(`continued on thread ${tid}, which was not stopped (event ${this.events})`);
      this.stopped.delete(tid);
    });
    dc.on('terminated', () => {
      this.terminated = true;
      this.wake?.();
    });
  }

  async next(ms = 90_000): Promise<{ threadId: number; reason: string } | undefined> {
    // Generous: the first stop waits for torch to import and the workers to start on a loaded machine.
    const end = Date.now() + ms;
    while (!this.queue.length && !this.terminated) {
      if (Date.now() > end) throw new Error(`no stop within ${ms / 1000} s (${this.events} events so far)`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 1000).unref();
      });
    }
    return this.queue.shift();
  }
}

test(`${CYCLES} next/continue cycles with 2 workers: events strictly ordered per thread, adapter heap flat`, async () => {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const session = new DataLoaderSession();
    session.setRunAsServer(true);
    session.start(socket, socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const dc = new DebugClient('node', '', 'batchscope');
  dc.defaultTimeout = 30_000;
  await dc.start(port);
  const order = new Order(dc);
  let output = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => {
    output = (output + e.body.output).slice(-4000);
  });
  try {
    await dc.initializeRequest({
      adapterID: 'batchscope',
      clientID: 'test',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const init = new Promise((r) => dc.once('initialized', r));
    const launched = dc.launchRequest(
      launchArgs(['--n', String(CYCLES), '--batch-size', '1', '--workers', '2'], { tokenizer: undefined }),
    );
    await init;
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fetch' }] });
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.configurationDoneRequest();
    await launched;

    // A breakpoint stop → Step Over (to collate, same thread) → that step stop → continue this thread.
    let cycles = 0;
    let warm = 0;
    let heapWarm = 0;
    for (;;) {
      const stop = await order.next();
      if (!stop) break;
      if (stop.reason === 'step') {
        await dc.continueRequest({ threadId: stop.threadId, singleThread: true });
        cycles++;
        if (cycles === 100) {
          heapWarm = heapAfterGc();
          warm = cycles;
          if (process.env.BATCHSCOPE_STRESS_SNAPSHOT) v8.writeHeapSnapshot('/tmp/stress-a.heapsnapshot');
        }
      } else {
        await dc.nextRequest({ threadId: stop.threadId });
      }
    }
    const heapEnd = heapAfterGc();
    if (process.env.BATCHSCOPE_STRESS_SNAPSHOT) v8.writeHeapSnapshot('/tmp/stress-b.heapsnapshot');
    assert.equal(cycles, CYCLES, output);
    assert.match(output, new RegExp(`done steps=${CYCLES} `));
    assert.deepEqual(order.violations, []);
    assert.equal(order.events, 4 * CYCLES, 'a stopped and a continued per next and per continue');
    const perCycle = (heapEnd - heapWarm) / (cycles - warm);
    console.log(
      `adapter heap after cycle ${warm}: ${(heapWarm / 2 ** 20).toFixed(2)} MiB, after ${cycles}: ` +
        `${(heapEnd / 2 ** 20).toFixed(2)} MiB (${perCycle.toFixed(0)} bytes per cycle)`,
    );
    // Flat: well under a kilobyte per cycle (a leak of one stop's bookkeeping per cycle is more).
    assert.ok(perCycle < 1024, `the adapter grows ${perCycle.toFixed(0)} bytes per cycle`);
  } finally {
    try {
      await dc.disconnectRequest({ terminateDebuggee: true });
    } catch {
      /* ended */
    }
    await dc.stop();
    server.close();
  }
});
