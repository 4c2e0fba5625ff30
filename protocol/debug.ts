// The controller ⇄ adapter wire (protocol/debug-protocol.md, v1), TypeScript side: the message
// shapes the adapter reads, and the ids and names both sides must agree on. The Python side is
// runtime/batchscope_runtime/debug/wire.py. Neither is generated from the other: both are tested
// against protocol/vectors/debug-ids.json (test/protocol/debugIds.test.ts here,
// runtime/tests/test_debug_units.py there), so a change to one side fails until the JSON and the
// other side agree.

export const PROTOCOL_VERSION = 1;
/** Lines longer than this close the connection (the controller applies the same limit). */
export const MAX_LINE = 16 * 1024 * 1024;

/** The DataLoader stages a function breakpoint may name, in the order a batch passes them. */
export const STAGES = [
  'sampler',
  'fetch',
  'sample',
  'collate',
  'batch_ready',
  'pin_memory',
  'to_device',
  'train_step',
] as const;
export type StageName = (typeof STAGES)[number];

/** Exception breakpoint filter ids (their labels are in src/dap/launchConfig.ts). */
export const FILTERS = ['fetch_error', 'collate_error', 'worker_died', 'hang', 'nan_inf'] as const;
export type FilterId = (typeof FILTERS)[number];

/** The main process's thread. */
export const MAIN_THREAD_ID = 1;
/** Frame ids are threadId·FRAME_STRIDE + depth; worker threads are FRAME_STRIDE·(loader+1) + worker. */
export const FRAME_STRIDE = 100;
/** Depth of the adapter's own "batch … · worker …" label frame (never sent by the controller). */
export const LABEL_DEPTH = 99;

/** Loader L's pin-memory thread. */
export function pinThreadId(loader: number): number {
  return 2 + loader;
}

/** Worker `worker` of loader L (loader = order of first iteration). */
export function workerThreadId(loader: number, worker: number): number {
  return FRAME_STRIDE * (loader + 1) + worker;
}

export function frameId(threadId: number, depth: number): number {
  return threadId * FRAME_STRIDE + depth;
}

/** The controller's answer to a valid hello. */
export interface Welcome {
  type: 'welcome';
  protocol: number;
  mode: 'launch' | 'attach';
  controllerPid: number;
  programPid: number | null;
  hangTimeout?: number;
  tokenizer?: string | null;
}

/** The first line the adapter sends. */
export interface Hello {
  type: 'hello';
  role: 'adapter';
  protocol: number;
  secret: string;
  client: string;
}

export interface ControllerRequest {
  type: 'request';
  seq: number;
  command: string;
  arguments: Record<string, unknown>;
}

export interface ControllerResponse {
  type: 'response';
  request_seq: number;
  success: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

export interface ControllerEvent {
  type: 'event';
  event: 'stopped' | 'continued' | 'thread' | 'progress' | 'output' | 'exited' | 'terminated' | string;
  body: Record<string, unknown>;
}

/** The first line `python -m batchscope_runtime debug` prints on stdout. */
export interface ListeningLine {
  type: 'listening';
  port: number;
  pid?: number;
}
