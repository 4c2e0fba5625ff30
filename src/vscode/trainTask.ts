// The `batchscope-train` task type. A CustomExecution runs the training through the runtime client
// (so the dashboard, the status bar and the progress notification get the events) and writes readable
// lines into the task's terminal; errors that point into the config come out in the
// `batchscope: error: FILE:LINE:COL: message` form that the `$batchscope-train` problem matcher
// turns into diagnostics on the YAML line. Ctrl+C in the terminal stops gracefully (twice: kills).
import * as path from 'node:path';
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { RunManager } from '../runtime/runManager';
import type { PythonEnv } from './pythonEnv';
import { eventLines, MATCHER_LINE } from '../core/training/terminalFormat';
import { untrustedMessage } from '../runtime/trust';
import { isTrusted, requireTrust } from './trust';

export const TASK_TYPE = 'batchscope-train';

export interface TrainTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  config: string;
  overrides?: string[];
  nproc?: number;
}

export function makeTrainTask(
  def: TrainTaskDefinition,
  scope: vscode.WorkspaceFolder | vscode.TaskScope,
  deps: TaskDeps,
  name?: string,
): vscode.Task {
  const label =
    name ??
    `train ${path.basename(def.config)}${def.overrides?.some((o) => o.startsWith('resume_from_checkpoint=')) ? ' (resume)' : ''}`;
  const task = new vscode.Task(
    def,
    scope,
    label,
    'batchscope',
    new vscode.CustomExecution(async (resolved) => new TrainingTerminal(resolved as TrainTaskDefinition, scope, deps)),
    ['$batchscope-train'],
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
  };
  task.isBackground = false;
  return task;
}

export interface TaskDeps {
  manager: RunManager;
  env: PythonEnv;
}

export class TrainTaskProvider implements vscode.TaskProvider {
  constructor(private readonly deps: TaskDeps) {}

  /** One task per likely training config in the workspace (the same files the YAML schema applies to). */
  async provideTasks(): Promise<vscode.Task[]> {
    const files = await vscode.workspace.findFiles(
      '**/{train*.yaml,train*.yml,*.batchscope.yaml,batchscope/*.yaml}',
      '**/{node_modules,.git,.venv}/**',
      50,
    );
    return files.map((uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      const config = folder ? path.relative(folder.uri.fsPath, uri.fsPath) : uri.fsPath;
      return makeTrainTask({ type: TASK_TYPE, config }, folder ?? vscode.TaskScope.Workspace, this.deps);
    });
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as TrainTaskDefinition;
    if (def.type !== TASK_TYPE || typeof def.config !== 'string') return undefined;
    return makeTrainTask(def, task.scope ?? vscode.TaskScope.Workspace, this.deps, task.name);
  }
}

function configPath(def: TrainTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope): string {
  if (path.isAbsolute(def.config)) return def.config;
  const folder = typeof scope === 'object' ? scope : vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, def.config) : path.resolve(def.config);
}

class TrainingTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private closed = false;
  private ownsRun = false;
  private printed = new Set<string>();

  constructor(
    private readonly def: TrainTaskDefinition,
    private readonly scope: vscode.WorkspaceFolder | vscode.TaskScope,
    private readonly deps: TaskDeps,
  ) {}

  open(): void {
    void this.run().catch((err) => this.fail(`batchscope: error: ${(err as Error).message}`));
  }

  private write(line: string): void {
    this.writeEmitter.fire(line.replace(/\r?\n/g, '\r\n') + '\r\n');
  }

  private fail(line: string): void {
    this.write(line);
    this.finish(1);
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.closeEmitter.fire(code);
  }

  private async run(): Promise<void> {
    // tasks.json runs this too (VS Code itself asks for trust before tasks, but not for every caller).
    if (!isTrusted()) {
      requireTrust('Training');
      return this.fail(`batchscope: error: ${untrustedMessage('Training')}`);
    }
    const config = configPath(this.def, this.scope);
    let configText: string;
    try {
      configText = await readFile(config, 'utf8');
    } catch (err) {
      return this.fail(`batchscope: error: cannot read the config ${config}: ${(err as Error).message}`);
    }
    const { manager, env } = this.deps;
    if (manager.active)
      return this.fail(
        `batchscope: error: a training run is already active (${manager.info().config}); stop it first (Batchscope: Stop Training)`,
      );
    this.write(`Checking Python for ${config} …`);
    const check = await env.requireForTraining(vscode.Uri.file(config));
    if (!check)
      return this.fail(
        'batchscope: error: no usable Python environment (see the notification and the Batchscope output)',
      );
    this.write(`Python ${check.python.version} at ${check.python.path}`);
    this.write(
      `$ ${check.python.path} -m batchscope_runtime train ${config}${(this.def.overrides ?? []).map((o) => ` --set ${o}`).join('')}${this.def.nproc && this.def.nproc > 1 ? ` --nproc ${this.def.nproc}` : ''}`,
    );

    const run = manager.start({
      python: check.python.path,
      config,
      overrides: this.def.overrides,
      nproc: this.def.nproc,
      cwd: path.dirname(config),
    });
    this.ownsRun = true;
    const ctx = { config, configText };
    run.on('event', (ev) => {
      for (const line of eventLines(ev, ctx)) {
        // The runtime may also print a matcher line on stderr: show each once so Problems has no duplicates.
        if (MATCHER_LINE.test(line)) {
          if (this.printed.has(line)) continue;
          this.printed.add(line);
        }
        this.write(line);
      }
    });
    run.on('stderr', (line) => {
      if (MATCHER_LINE.test(line)) {
        if (this.printed.has(line)) return;
        this.printed.add(line);
      }
      this.write(line);
    });
    const exit = await run.done;
    const code = exit.error ? 1 : (exit.code ?? (exit.stopRequested ? 0 : 1));
    this.write(exit.killed ? 'training killed' : `runtime exited with ${exit.signal ?? `code ${exit.code}`}`);
    this.finish(code);
  }

  handleInput(data: string): void {
    if (data === '\x03' && this.ownsRun) {
      const r = this.deps.manager.stop();
      this.write(
        r === 'requested'
          ? '^C stop requested: saving a checkpoint, then exiting (Ctrl+C again kills)'
          : r === 'killed'
            ? '^C killed'
            : '^C',
      );
    }
  }

  /** The terminal was closed (or the task terminated) while running: stop the run. */
  close(): void {
    if (this.ownsRun && this.deps.manager.active) this.deps.manager.stop();
    this.closed = true;
  }
}
