// The `batchscope` DAP session. The Python controller already speaks DAP-shaped requests with DAP
// ids (threads 1 / 2+L / 100·(L+1)+w, frames threadId·100+depth, opaque variable refs), so this
// session validates launch/attach arguments, starts or reaches the controller, forwards requests,
// and adds what only the adapter can do: output of the launched process, DAP progress events,
// decoding token ids through a local tokenizer when the controller did not, and the disconnect
// semantics (launch: terminate; attach: detach and leave the job running). vscode-free.
import {
  DebugSession,
  InitializedEvent,
  TerminatedEvent,
  ExitedEvent,
  OutputEvent,
  Event,
  ProgressStartEvent,
  ProgressUpdateEvent,
  ProgressEndEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerClient, type ControllerEvent } from '../runtime/debugClient';
import { launchController, type Launched } from '../runtime/debugLaunch';
import { killTree, runtimeDir } from '../runtime/process';
import {
  checkAttach,
  hangTimeoutOf,
  launchTarget,
  recordOf,
  EXCEPTION_FILTERS,
  type AttachArgs,
  type LaunchArgs,
} from './launchConfig';
import { TokenDecoder } from './tokenDecode';
import { TokenVariables } from './variables';
import { formatStacks, type DumpProcess } from './stacksText';
import { LABEL_DEPTH } from '../../protocol/debug';

/** Custom requests (DebugSession.customRequest) the controller answers: "dump all stacks", "recent batches". */
const CUSTOM = new Set(['dumpStacks', 'recentBatches', 'recordBatches']);
/** Custom request of the "Batchscope: Show All Stacks" command: `dumpStacks` formatted as text. */
export const SHOW_ALL_STACKS = 'showAllStacks';

interface ProgressState {
  id: string;
  epoch: number;
}

// A plain DebugSession, not LoggingDebugSession: the latter stringifies every message into a log
// queue that is only ever emptied by an explicit logger.setup(), so without one (and an inline
// adapter never gets start()) every event and response stayed in memory (~3 KB per step cycle).
export class DataLoaderSession extends DebugSession {
  private ctl?: ControllerClient;
  private launched?: Launched;
  private mode: 'launch' | 'attach' = 'launch';
  private clientCaps: DebugProtocol.InitializeRequestArguments = { adapterID: 'batchscope' };
  private readonly progress = new Map<string, ProgressState>();
  private progressSeq = 0;
  private terminatedSent = false;
  private tokens?: TokenVariables;
  /** The last stopped body per thread: names the batch in the stack's label frame. */
  private readonly lastStop = new Map<number, StopInfo>();
  /** Sent with setExceptionBreakpoints when the attach configuration sets it (launch passes --hang-timeout). */
  private hangTimeout?: number;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  protected override initializeRequest(
    response: DebugProtocol.InitializeResponse,
    args: DebugProtocol.InitializeRequestArguments,
  ): void {
    this.clientCaps = args;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
      supportsSingleThreadExecutionRequests: true,
      supportsEvaluateForHovers: false,
      supportsDelayedStackTraceLoading: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportSuspendDebuggee: false,
      supportsValueFormattingOptions: false,
    };
    this.sendResponse(response);
  }

  // ── starting ────────────────────────────────────────────────────────────────────────────────

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArgs): Promise<void> {
    this.mode = 'launch';
    args ??= {};
    try {
      const target = launchTarget(args);
      const hangTimeout = hangTimeoutOf(args);
      const cwd = args.cwd ?? (target.kind === 'module' ? undefined : path.dirname(target.value));
      const tokenizer = this.resolveTokenizer(args.tokenizer, cwd);
      const record = recordOf(args, cwd);
      this.launched = await launchController(
        {
          python: args.python || (process.platform === 'win32' ? 'python' : 'python3'),
          runtimePath: args.runtimePath || runtimeDir(),
          target,
          args: Array.isArray(args.args) ? args.args.map(String) : [],
          cwd,
          env: record ? { ...args.env, BATCHSCOPE_RECORD: JSON.stringify(record) } : args.env,
          hangTimeout,
          tokenizer,
        },
        (category, text) => this.sendEvent(new OutputEvent(text, category)),
      );
      this.launched.proc.on('exit', (code, signal) => {
        // The controller outlives the program; its own exit ends the session if nothing else did.
        if (!this.ctl || this.ctl.isClosed) this.finish(code ?? (signal ? 128 : 0));
      });
      await this.connect('127.0.0.1', this.launched.port, this.launched.secret);
      this.sendEvent(new InitializedEvent());
      this.sendResponse(response);
    } catch (err) {
      this.killLaunched();
      this.fail(response, err);
    }
  }

  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: AttachArgs): Promise<void> {
    this.mode = 'attach';
    args ??= {};
    try {
      const { host, port, secret } = checkAttach(args);
      if (args.hangTimeout !== undefined) this.hangTimeout = hangTimeoutOf(args);
      this.resolveTokenizer(args.tokenizer, args.cwd);
      const record = recordOf(args, args.cwd);
      await this.connect(host, port, secret);
      // The job is already running: the recorder starts from the next batch it yields.
      if (record) await this.ctl!.request('recordBatches', record as Record<string, unknown>);
      this.sendEvent(new InitializedEvent());
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  private resolveTokenizer(tokenizer: string | undefined, cwd: string | undefined): string | undefined {
    if (!tokenizer) return undefined;
    const abs = cwd && !path.isAbsolute(tokenizer) ? path.resolve(cwd, tokenizer) : tokenizer;
    // Loaded here too: attach sessions (and controllers without a Python tokenizer) decode on this side.
    this.tokens = new TokenVariables(TokenDecoder.load(abs));
    return abs;
  }

  private async connect(host: string, port: number, secret: string): Promise<void> {
    const ctl = await ControllerClient.connect(host, port, secret, { client: 'batchscope-vscode' });
    this.ctl = ctl;
    ctl.on('event', (e: ControllerEvent) => this.onControllerEvent(e));
    ctl.on('protocolError', (msg: string) => this.sendEvent(new OutputEvent(`batchscope: ${msg}\n`, 'important')));
    ctl.on('close', () => this.finish());
  }

  // ── controller events → DAP events ──────────────────────────────────────────────────────────

  private onControllerEvent(e: ControllerEvent): void {
    const body = e.body ?? {};
    switch (e.event) {
      case 'stopped':
        if (typeof body.threadId === 'number') this.lastStop.set(body.threadId, body as unknown as StopInfo);
        this.sendEvent(rawEvent('stopped', body));
        break;
      case 'continued':
        if (body.allThreadsContinued === true) this.tokens?.reset();
        this.sendEvent(rawEvent('continued', body));
        break;
      case 'thread':
        this.sendEvent(rawEvent('thread', body));
        break;
      case 'output':
        this.sendEvent(new OutputEvent(String(body.output ?? ''), String(body.category ?? 'console')));
        break;
      case 'recording': // the batch recorder's progress: path, batches, rows, bytes, limits, done, reason
        this.sendEvent(rawEvent('batchscopeRecording', body));
        break;
      case 'progress':
        this.onProgress(body);
        break;
      case 'exited': {
        const err = body.error as { typeName?: string; message?: string; traceback?: string } | undefined;
        if (err) this.sendEvent(new OutputEvent(`${err.traceback ?? `${err.typeName}: ${err.message}`}\n`, 'stderr'));
        if (typeof body.exitCode === 'number') this.sendExited(body.exitCode);
        else if (typeof body.signal === 'string')
          this.sendExited(128 + (os.constants.signals[body.signal as NodeJS.Signals] ?? 0));
        break;
      }
      case 'terminated':
        this.finish();
        break;
    }
  }

  private onProgress(body: Record<string, unknown>): void {
    if (!this.clientCaps.supportsProgressReporting) return;
    const loader = String(body.loader ?? 'loader');
    const epoch = Number(body.epoch ?? 0);
    const batch = Number(body.batch ?? 0);
    const total = typeof body.total === 'number' && body.total > 0 ? body.total : undefined;
    const message = String(body.message ?? (total ? `batch ${batch + 1}/${total}` : `batch ${batch + 1}`));
    let st = this.progress.get(loader);
    if (st && st.epoch !== epoch) {
      this.sendEvent(new ProgressEndEvent(st.id));
      st = undefined;
    }
    const percentage = total ? Math.min(100, (100 * (batch + 1)) / total) : undefined;
    if (!st) {
      st = { id: `batchscope-${++this.progressSeq}`, epoch };
      this.progress.set(loader, st);
      const start = new ProgressStartEvent(
        st.id,
        `${loader} · epoch ${epoch}`,
        message,
      ) as DebugProtocol.ProgressStartEvent;
      if (percentage !== undefined) start.body.percentage = percentage;
      this.sendEvent(start);
    } else {
      const upd = new ProgressUpdateEvent(st.id, message) as DebugProtocol.ProgressUpdateEvent;
      if (percentage !== undefined) upd.body.percentage = percentage;
      this.sendEvent(upd);
    }
  }

  private endProgress(): void {
    for (const st of this.progress.values()) this.sendEvent(new ProgressEndEvent(st.id));
    this.progress.clear();
  }

  private exitedSent = false;
  private sendExited(code: number): void {
    if (this.exitedSent) return;
    this.exitedSent = true;
    this.sendEvent(new ExitedEvent(code));
  }

  /** Ends the session once: progress closed, `terminated` sent, controller socket closed. */
  private finish(exitCode?: number): void {
    if (this.terminatedSent) return;
    this.terminatedSent = true;
    this.endProgress();
    if (exitCode !== undefined) this.sendExited(exitCode);
    this.sendEvent(new TerminatedEvent());
    if (this.ctl && !this.ctl.isClosed) this.ctl.close();
  }

  // ── requests → controller ───────────────────────────────────────────────────────────────────

  private async forward(
    response: DebugProtocol.Response,
    command: string,
    args: object,
    shape?: (body: Record<string, unknown>) => unknown,
  ): Promise<void> {
    if (!this.ctl || this.ctl.isClosed) {
      return this.fail(
        response,
        new Error(this.terminatedSent ? 'the debug session has ended' : 'not connected to the Batchscope runtime yet'),
      );
    }
    try {
      const body = await this.ctl.request(command, args as Record<string, unknown>);
      response.body = shape ? shape(body) : body;
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    void this.forward(response, 'setFunctionBreakpoints', { breakpoints: args.breakpoints });
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    const fwd: Record<string, unknown> = { filters: args.filters };
    if (args.filterOptions) fwd.filterOptions = args.filterOptions;
    if (this.hangTimeout !== undefined) fwd.hangTimeout = this.hangTimeout;
    void this.forward(response, 'setExceptionBreakpoints', fwd);
  }

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    // Line breakpoints in Python files belong to the Python debugger (debugpy); say so instead of
    // silently ignoring them.
    response.body = {
      breakpoints: (args.breakpoints ?? []).map((b) => ({
        verified: false,
        line: b.line,
        message:
          'Batchscope stops at DataLoader stages: use function breakpoints named sampler, fetch, collate, pin_memory, to_device or train_step',
      })),
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(
    response: DebugProtocol.ConfigurationDoneResponse,
    args: DebugProtocol.ConfigurationDoneArguments,
  ): void {
    void this.forward(response, 'configurationDone', args ?? {});
  }

  protected override async threadsRequest(response: DebugProtocol.ThreadsResponse): Promise<void> {
    if (!this.ctl || this.ctl.isClosed) {
      response.body = { threads: [] };
      return this.sendResponse(response);
    }
    await this.forward(response, 'threads', {});
  }

  protected override stackTraceRequest(
    response: DebugProtocol.StackTraceResponse,
    args: DebugProtocol.StackTraceArguments,
  ): void {
    void this.forward(response, 'stackTrace', args, (body) =>
      withBatchLabel(
        body as unknown as DebugProtocol.StackTraceResponse['body'],
        args,
        this.lastStop.get(args.threadId),
      ),
    );
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    if (args.frameId % 100 === LABEL_DEPTH) {
      response.body = { scopes: [] };
      return this.sendResponse(response);
    }
    void this.forward(response, 'scopes', args);
  }

  protected override async variablesRequest(
    response: DebugProtocol.VariablesResponse,
    args: DebugProtocol.VariablesArguments,
  ): Promise<void> {
    const local = await this.tokens?.children(args.variablesReference, args.start, args.count);
    if (local) {
      response.body = { variables: local };
      return this.sendResponse(response);
    }
    if (!this.ctl || this.ctl.isClosed) return this.fail(response, new Error('the debug session has ended'));
    try {
      const body = (await this.ctl.request('variables', args as unknown as Record<string, unknown>)) as {
        variables: DebugProtocol.Variable[];
      };
      const variables = this.tokens
        ? await this.tokens.decorate(args.variablesReference, body.variables ?? [], (ref) => this.fetchVariables(ref))
        : (body.variables ?? []);
      response.body = { variables };
      this.sendResponse(response);
    } catch (err) {
      this.fail(response, err);
    }
  }

  private async fetchVariables(ref: number): Promise<DebugProtocol.Variable[]> {
    const body = (await this.ctl!.request('variables', { variablesReference: ref })) as {
      variables?: DebugProtocol.Variable[];
    };
    return body.variables ?? [];
  }

  protected override evaluateRequest(
    response: DebugProtocol.EvaluateResponse,
    args: DebugProtocol.EvaluateArguments,
  ): void {
    void this.forward(response, 'evaluate', args);
  }

  protected override continueRequest(
    response: DebugProtocol.ContinueResponse,
    args: DebugProtocol.ContinueArguments,
  ): void {
    void this.forward(response, 'continue', args, (b) => {
      const all = b.allThreadsContinued !== false;
      // Every stop is over: the decoded entries made for them can go (see TokenVariables.reset).
      if (all) this.tokens?.reset();
      return { allThreadsContinued: all };
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    void this.forward(response, 'next', args);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    void this.forward(response, 'stepIn', args);
  }

  protected override stepOutRequest(
    response: DebugProtocol.StepOutResponse,
    args: DebugProtocol.StepOutArguments,
  ): void {
    void this.forward(response, 'stepOut', args);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    void this.forward(response, 'pause', args);
  }

  protected override exceptionInfoRequest(
    response: DebugProtocol.ExceptionInfoResponse,
    args: DebugProtocol.ExceptionInfoArguments,
  ): void {
    void this.forward(response, 'exceptionInfo', args);
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (CUSTOM.has(command)) void this.forward(response, command, (args as object) ?? {});
    else if (command === SHOW_ALL_STACKS)
      // Every process and thread of the loader, as text (src/dap/stacksText.ts); nothing is paused.
      void this.forward(response, 'dumpStacks', {}, (body) => {
        const processes = (body.processes ?? []) as DumpProcess[];
        return { text: formatStacks(processes), processes };
      });
    else super.customRequest(command, response, args);
  }

  // ── ending ──────────────────────────────────────────────────────────────────────────────────

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    if (this.ctl && !this.ctl.isClosed) {
      try {
        await this.ctl.request('terminate', {}, 10_000);
      } catch {
        this.killLaunched();
      }
    } else this.killLaunched();
    this.sendResponse(response);
  }

  protected override async disconnectRequest(
    response: DebugProtocol.DisconnectResponse,
    args: DebugProtocol.DisconnectArguments,
  ): Promise<void> {
    // Launch: the debuggee goes with the session unless told otherwise. Attach: it keeps running.
    const terminate = args?.terminateDebuggee ?? this.mode === 'launch';
    const ctl = this.ctl;
    if (ctl && !ctl.isClosed) {
      try {
        await ctl.request(terminate ? 'terminate' : 'detach', {}, 10_000);
      } catch {
        /* the controller may already be gone */
      }
    }
    this.terminatedSent = true; // the client is leaving; no terminated event needed
    this.endProgress();
    if (ctl && !ctl.isClosed) ctl.close();
    if (terminate) await this.reap();
    else this.keepDebuggee = true;
    this.sendResponse(response);
  }

  /** Set when the client detached from a launch session on purpose: shutdown leaves the job alone. */
  private keepDebuggee = false;

  /**
   * After terminate the controller exits by itself once the program is gone. Wait for that (3 s at
   * most), then kill its whole process group, so no DataLoader worker (e.g. a spawn worker still
   * starting) is left behind. Done before answering `disconnect`: a client may kill the adapter
   * process right after the answer.
   */
  private async reap(): Promise<void> {
    const proc = this.launched?.proc;
    if (!proc) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 3000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    killTree(proc);
  }

  /** The standalone adapter exits on SIGTERM or when its client goes: take the launched job along. */
  override shutdown(): void {
    if (this.mode === 'launch' && !this.keepDebuggee && this.launched) killTree(this.launched.proc);
    super.shutdown();
  }

  private killLaunched(): void {
    const proc = this.launched?.proc;
    if (proc) killTree(proc);
  }

  private fail(response: DebugProtocol.Response, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.sendErrorResponse(response, {
      id: 1001,
      format: message.replace(/\{/g, '(').replace(/\}/g, ')'),
      showUser: true,
    });
  }
}

interface StopInfo {
  threadId: number;
  stage?: string;
  batch?: { loader: string; epoch: number; index: number };
}

/** Where a thread runs, for the label frame: "worker 2", "pin-memory thread", "main process". */
export function placeOf(threadId: number): string {
  if (threadId >= 100) return `worker ${threadId % 100}`;
  if (threadId >= 2) return 'pin-memory thread';
  return 'main process';
}

/**
 * Appends a `label` frame "batch 1234 · worker 2" (with the loader when there are several) after
 * the stage frames of a stopped batch, unless the controller sent a label of its own.
 */
export function withBatchLabel(
  body: DebugProtocol.StackTraceResponse['body'],
  args: DebugProtocol.StackTraceArguments,
  stop: StopInfo | undefined,
): DebugProtocol.StackTraceResponse['body'] {
  const frames = body.stackFrames ?? [];
  const total = body.totalFrames ?? frames.length;
  if (!stop?.batch || frames.some((f) => f.presentationHint === 'label')) return body;
  const start = args.startFrame ?? 0;
  const label: DebugProtocol.StackFrame = {
    id: args.threadId * 100 + LABEL_DEPTH,
    name: `batch ${stop.batch.index} · ${placeOf(args.threadId)} · ${stop.batch.loader} · epoch ${stop.batch.epoch}`,
    line: 0,
    column: 0,
    presentationHint: 'label',
  };
  // Only on the last page, so paged requests (supportsDelayedStackTraceLoading) see it once.
  const lastPage = start + frames.length >= total;
  return { stackFrames: lastPage ? [...frames, label] : frames, totalFrames: total + 1 };
}

/** A DAP event with the controller's body kept whole (it already has DAP field names). */
function rawEvent(event: string, body: Record<string, unknown>): DebugProtocol.Event {
  const e = new Event(event) as DebugProtocol.Event;
  e.body = body;
  return e;
}
