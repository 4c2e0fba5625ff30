// Client side of the controller ⇄ adapter wire protocol (protocol/debug-protocol.md, v1):
// NDJSON over TCP, a `hello` with the session secret first, then DAP-shaped requests correlated
// by seq, responses and events. vscode-free; used by the DAP session and the benchmark.
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { MAX_LINE, PROTOCOL_VERSION, type ControllerEvent, type ControllerRequest, type Hello, type Welcome } from '../../protocol/debug';

export { PROTOCOL_VERSION };
export type { ControllerEvent, Welcome };

export class ControllerError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

interface Pending {
  command: string;
  resolve: (body: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

/**
 * Emits `event` (ControllerEvent) and `close` (reason: string) once the socket ends.
 * Every pending request is rejected when the connection closes, so nothing waits forever.
 */
export class ControllerClient extends EventEmitter {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private buf = '';
  private closed = false;
  welcome?: Welcome;

  private constructor(private readonly socket: net.Socket) {
    super();
  }

  /** Connects and performs the hello/welcome exchange. Rejects with the controller's refusal reason. */
  static connect(host: string, port: number, secret: string, opts: { timeoutMs?: number; client?: string } = {}): Promise<ControllerClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host, port });
      socket.setNoDelay(true);
      const client = new ControllerClient(socket);
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new ControllerError(`controller at ${host}:${port} did not answer the hello within ${timeoutMs} ms`)), timeoutMs);
      socket.once('error', (err) => fail(new ControllerError(`cannot connect to the controller at ${host}:${port}: ${err.message}`)));
      socket.once('close', () => fail(new ControllerError(`controller at ${host}:${port} closed the connection before welcoming us (wrong secret, or not a Batchscope runtime?)`)));
      socket.setEncoding('utf8');
      const onFirst = (msg: Record<string, unknown>) => {
        if (msg.type === 'welcome') {
          if (msg.protocol !== PROTOCOL_VERSION) return fail(new ControllerError(`controller speaks protocol ${String(msg.protocol)}, this adapter speaks ${PROTOCOL_VERSION}; update the extension or the runtime`));
          settled = true;
          clearTimeout(timer);
          socket.removeAllListeners('error');
          socket.removeAllListeners('close');
          client.welcome = msg as unknown as Welcome;
          client.attachHandlers();
          resolve(client);
        } else if (msg.type === 'refused') {
          fail(new ControllerError(`controller refused the connection: ${String(msg.reason)}`));
        } else {
          fail(new ControllerError(`controller sent ${JSON.stringify(msg.type)} before welcome`));
        }
      };
      client.onMessage = onFirst;
      socket.on('data', (chunk: string) => client.feed(chunk));
      socket.once('connect', () => {
        client.write({ type: 'hello', role: 'adapter', protocol: PROTOCOL_VERSION, secret, client: opts.client ?? 'batchscope-adapter' } satisfies Hello);
      });
    });
  }

  private onMessage: (msg: Record<string, unknown>) => void = () => {};

  private attachHandlers(): void {
    this.onMessage = (msg) => this.dispatch(msg);
    this.socket.on('error', () => this.shutdown('connection error'));
    this.socket.on('close', () => this.shutdown('connection closed'));
  }

  private feed(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        this.emit('protocolError', `controller sent a line that is not JSON: ${line.slice(0, 200)}`);
        continue;
      }
      if (msg && typeof msg === 'object') this.onMessage(msg as Record<string, unknown>);
    }
    if (this.buf.length > MAX_LINE) {
      this.emit('protocolError', `controller sent a line over ${MAX_LINE} bytes; closing`);
      this.socket.destroy();
    }
  }

  private dispatch(msg: Record<string, unknown>): void {
    if (msg.type === 'response') {
      const p = this.pending.get(msg.request_seq as number);
      if (!p) return;
      this.pending.delete(msg.request_seq as number);
      if (msg.success) p.resolve((msg.body as Record<string, unknown>) ?? {});
      else p.reject(new ControllerError(String(msg.message ?? `${p.command} failed`), p.command));
    } else if (msg.type === 'event') {
      this.emit('event', msg as unknown as ControllerEvent);
    }
  }

  private write(obj: unknown): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(JSON.stringify(obj) + '\n');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  request<T = Record<string, unknown>>(command: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    if (this.closed) return Promise.reject(new ControllerError('the controller connection is closed', command));
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(seq)) reject(new ControllerError(`controller did not answer "${command}" within ${timeoutMs} ms`, command));
      }, timeoutMs);
      this.pending.set(seq, {
        command,
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.write({ type: 'request', seq, command, arguments: args } satisfies ControllerRequest);
    });
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, p] of this.pending) p.reject(new ControllerError(`controller connection lost (${reason})`, p.command));
    this.pending.clear();
    this.emit('close', reason);
  }

  /** Closes the socket after flushing what was written. */
  close(): void {
    this.socket.end();
    this.socket.destroySoon?.();
    this.shutdown('closed by adapter');
  }
}
