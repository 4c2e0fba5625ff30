// Shared set-up for the adapter tests: one esbuild bundle of the standalone adapter per test
// process (src/dap/adapterEntry.ts → a temp folder, so a concurrent `npm run build` wiping dist/
// cannot break a run), DebugClient sessions against it, an event queue that never loses an event
// that arrived before it was awaited, and the real runtime + the test DataLoader program.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
export const PYTHON = process.env.BATCHSCOPE_TEST_PYTHON ?? path.join(REPO, '.venv', 'bin', 'python');
export const RUNTIME = path.join(REPO, 'runtime');
export const PROGRAM = path.join(REPO, 'test', 'debug', 'programs', 'loader.py');
export const TOKENIZER = path.join(REPO, 'test', '.fixtures', 'tokenizer');

let bundled: string | undefined;
/** The adapter entry under test: $BATCHSCOPE_ADAPTER (e.g. dist/debugAdapter.js) or a fresh bundle. */
export function adapterPath(): string {
  if (process.env.BATCHSCOPE_ADAPTER) return process.env.BATCHSCOPE_ADAPTER;
  if (bundled) return bundled;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batchscope-adapter-'));
  const out = path.join(dir, 'debugAdapter.js');
  buildSync({
    entryPoints: [path.join(REPO, 'src', 'dap', 'adapterEntry.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    logLevel: 'error',
  });
  bundled = out;
  return out;
}

/** Buffers the named events so a test can await one that already arrived. */
export class Events {
  private readonly seen: Record<string, DebugProtocol.Event[]> = {};
  private readonly waiters: Array<{
    name: string;
    pred: (e: DebugProtocol.Event) => boolean;
    resolve: (e: DebugProtocol.Event) => void;
  }> = [];
  readonly all: DebugProtocol.Event[] = [];

  constructor(
    dc: DebugClient,
    names = [
      'stopped',
      'continued',
      'thread',
      'output',
      'exited',
      'terminated',
      'progressStart',
      'progressUpdate',
      'progressEnd',
      'initialized',
    ],
  ) {
    for (const name of names) {
      this.seen[name] = [];
      dc.on(name, (e: DebugProtocol.Event) => {
        this.all.push(e);
        const i = this.waiters.findIndex((w) => w.name === name && w.pred(e));
        if (i >= 0) this.waiters.splice(i, 1)[0].resolve(e);
        else this.seen[name].push(e);
      });
    }
  }

  /** Next event `name` (matching `pred`), consuming it; rejects after `ms`. */
  next(
    name: string,
    ms = 120_000,
    pred: (e: DebugProtocol.Event) => boolean = () => true,
  ): Promise<DebugProtocol.Event> {
    const q = this.seen[name];
    const i = q.findIndex(pred);
    if (i >= 0) return Promise.resolve(q.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = {
        name,
        pred,
        resolve: (e: DebugProtocol.Event) => {
          clearTimeout(t);
          resolve(e);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no "${name}" event within ${ms} ms; output so far:\n${this.output().slice(-3000)}`));
      }, ms);
      t.unref(); // an abandoned wait (e.g. after a failed launch) must not keep the test process alive
      this.waiters.push(w);
    });
  }

  /** The first of several event kinds (one waiter, so the loser is not consumed later). */
  async nextAny(names: string[], ms = 120_000): Promise<DebugProtocol.Event> {
    for (const n of names) if (this.seen[n].length) return this.seen[n].shift()!;
    return new Promise((resolve, reject) => {
      const ws = names.map((name) => ({ name, pred: () => true, resolve: (e: DebugProtocol.Event) => done(e) }));
      const done = (e: DebugProtocol.Event) => {
        clearTimeout(t);
        for (const w of ws) if (this.waiters.includes(w)) this.waiters.splice(this.waiters.indexOf(w), 1);
        resolve(e);
      };
      const t = setTimeout(() => {
        for (const w of ws) if (this.waiters.includes(w)) this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`none of ${names.join(', ')} within ${ms} ms; output so far:\n${this.output().slice(-3000)}`));
      }, ms);
      this.waiters.push(...ws);
    });
  }

  /** Events of this name that arrived and were not consumed. */
  pending(name: string): DebugProtocol.Event[] {
    return this.seen[name] ?? [];
  }

  output(): string {
    return this.all
      .filter((e) => e.event === 'output')
      .map((e) => e.body.output)
      .join('');
  }
}

export interface Session {
  dc: DebugClient;
  ev: Events;
}

/** A started DebugClient on a fresh stdio adapter (or on a `--server` port), initialized. */
export async function openSession(port?: number): Promise<Session> {
  const dc = new DebugClient(
    'node',
    adapterPath(),
    'batchscope',
    undefined,
    process.env.BATCHSCOPE_TEST_ADAPTER_STDERR === '1',
  );
  dc.defaultTimeout = 120_000;
  await dc.start(port);
  const ev = new Events(dc);
  await dc.initializeRequest({
    adapterID: 'batchscope',
    clientID: 'test',
    linesStartAt1: true,
    columnsStartAt1: true,
    pathFormat: 'path',
    supportsProgressReporting: true,
    supportsVariablePaging: true,
    supportsVariableType: true,
  });
  return { dc, ev };
}

export interface Config {
  functionBreakpoints?: DebugProtocol.FunctionBreakpoint[];
  filters?: string[];
  filterOptions?: DebugProtocol.ExceptionFilterOptions[];
}

/** initialized → breakpoints → configurationDone, alongside the launch (or attach) request. */
export async function configure(s: Session, start: Promise<DebugProtocol.Response>, cfg: Config = {}): Promise<void> {
  // A failed launch/attach must fail the test with its message, not as a missing 'initialized'.
  const failed = start.then(
    () => new Promise<never>(() => {}),
    (err) => Promise.reject(err),
  );
  await Promise.race([s.ev.next('initialized'), failed]);
  await s.dc.setFunctionBreakpointsRequest({ breakpoints: cfg.functionBreakpoints ?? [] });
  await s.dc.setExceptionBreakpointsRequest({ filters: cfg.filters ?? [], filterOptions: cfg.filterOptions });
  await s.dc.configurationDoneRequest();
  await start;
}

export function launchArgs(
  programArgs: string[],
  extra: Record<string, unknown> = {},
): DebugProtocol.LaunchRequestArguments {
  return {
    program: PROGRAM,
    args: programArgs,
    python: PYTHON,
    runtimePath: RUNTIME,
    cwd: REPO,
    hangTimeout: 30,
    tokenizer: TOKENIZER,
    ...extra,
  } as DebugProtocol.LaunchRequestArguments;
}

export async function launch(
  programArgs: string[],
  cfg: Config = {},
  extra: Record<string, unknown> = {},
): Promise<Session> {
  const s = await openSession();
  await configure(s, s.dc.launchRequest(launchArgs(programArgs, extra)), cfg);
  return s;
}

/** The variables of a reference as a name → variable map. */
export async function vars(dc: DebugClient, ref: number): Promise<Map<string, DebugProtocol.Variable>> {
  const r = await dc.variablesRequest({ variablesReference: ref });
  return new Map(r.body.variables.map((v) => [v.name, v]));
}

/** Scope name → its variables, for the top frame of a thread. */
export async function topScopes(
  dc: DebugClient,
  threadId: number,
): Promise<{ frames: DebugProtocol.StackFrame[]; scopes: Map<string, Map<string, DebugProtocol.Variable>> }> {
  const st = await dc.stackTraceRequest({ threadId });
  const frames = st.body.stackFrames;
  const sc = await dc.scopesRequest({ frameId: frames[0].id });
  const scopes = new Map<string, Map<string, DebugProtocol.Variable>>();
  for (const s of sc.body.scopes)
    scopes.set(s.name, s.variablesReference ? await vars(dc, s.variablesReference) : new Map());
  return { frames, scopes };
}

/** Every variable of a scope map, whatever the scope's name. */
export function findVar(
  scopes: Map<string, Map<string, DebugProtocol.Variable>>,
  name: string,
): DebugProtocol.Variable | undefined {
  for (const m of scopes.values()) if (m.has(name)) return m.get(name);
  return undefined;
}

export async function evaluate(dc: DebugClient, frameId: number, expression: string): Promise<string> {
  const r = await dc.evaluateRequest({ expression, frameId, context: 'repl' });
  return r.body.result;
}

/** Lines of the test program that carry a marker comment (e.g. HANG-LINE). */
export function lineOf(marker: string): number {
  const lines = fs.readFileSync(PROGRAM, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in ${PROGRAM}`);
  return i + 1;
}

/** Stops the client and waits until the debuggee is gone. */
export async function close(s: Session): Promise<void> {
  try {
    await s.dc.disconnectRequest({ terminateDebuggee: true });
  } catch {
    /* already ended */
  }
  await s.dc.stop();
}
