// "Show All Stacks": the controller's `dumpStacks` answer (every process and thread of the debugged
// loader, read without stopping anything) as plain text, like `py-spy dump`: per process its role,
// pid and batch in flight, per thread its name, stage, blocking system call and Python frames
// (most recent call first). vscode-free; src/vscode/debug.ts opens the text in an editor.

export interface DumpFrame {
  name: string;
  path: string;
  line: number;
}

export interface DumpThread {
  name: string;
  threadId?: number;
  stage?: string;
  batch?: { loader?: string; epoch?: number; index?: number };
  /** "blocked in read(fd 7) on /data/x.fifo (FIFO)", "running on a CPU …" (Linux). */
  state?: string;
  frames: DumpFrame[];
}

export interface DumpProcess {
  pid: number;
  role: string;
  name?: string;
  threadId?: number;
  error?: string;
  state?: string;
  inFlight?: { stage?: string; batch?: { loader?: string; index?: number }; indices?: number[]; seconds?: number };
  threads: DumpThread[];
}

function processTitle(p: DumpProcess): string {
  // A worker's name already carries its pid and epoch: "worker 1 · train_loader (pid 4310, epoch 0)".
  let title = p.role === 'main' ? `main process · pid ${p.pid}` : (p.name ?? `worker · pid ${p.pid}`);
  const f = p.inFlight;
  if (f?.stage) {
    title += ` · ${f.stage} of batch ${f.batch?.index ?? '?'}`;
    if (f.batch?.loader) title += ` (${f.batch.loader})`;
    if (f.indices?.length)
      title += ` indices [${f.indices.slice(0, 16).join(', ')}${f.indices.length > 16 ? ', …' : ''}]`;
    if (f.seconds !== undefined) title += ` for ${f.seconds} s`;
  }
  return title;
}

function threadTitle(t: DumpThread): string {
  let title = `Thread "${t.name}"`;
  if (t.threadId !== undefined) title += ` (debugger thread ${t.threadId})`;
  if (t.stage) title += ` · ${t.stage} of batch ${t.batch?.index ?? '?'}`;
  return title;
}

/** The dump as text; `when` is the time it was taken. */
export function formatStacks(processes: DumpProcess[], when: Date = new Date()): string {
  const out: string[] = [];
  const workers = processes.filter((p) => p.role !== 'main').length;
  out.push(
    `Batchscope: all stacks of the DataLoader job at ${when.toISOString()} ` +
      `(${processes.length} process${processes.length === 1 ? '' : 'es'}, ${workers} worker${workers === 1 ? '' : 's'}; nothing was paused)`,
  );
  if (!processes.length) out.push('', 'No process of the job is connected (it has not started, or it has ended).');
  for (const p of processes) {
    out.push('', `== ${processTitle(p)} ==`);
    if (p.error) out.push(`  (${p.error}${p.state ? `; its main thread: ${p.state}` : ''})`);
    for (const t of p.threads ?? []) {
      out.push('', `  ${threadTitle(t)}`);
      if (t.state) out.push(`    ${t.state}`);
      for (const f of t.frames ?? []) out.push(`    File "${f.path}", line ${f.line}, in ${f.name}`);
    }
  }
  return out.join('\n') + '\n';
}
