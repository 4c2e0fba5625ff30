// Which Python runs the runtime, and is it usable (glue). `resolveInterpreter` is the one way any
// command gets an interpreter (training, the doctor, debug launches): trust first, then the order
// setting `batchscope.python` → the Python extension's active environment (only when
// ms-python.python is installed) → python3 on PATH, probed by the runtime client's findPython.
// The doctor's report is cached per interpreter and shown in a status bar item (Python + torch +
// CUDA); a missing package is an error that quotes the doctor's exact install command.
import * as vscode from 'vscode';
import { findPython, runDoctor, type DoctorReport, type FoundPython } from '../runtime';
import { config, onSettingChange } from './config';
import { assertTrusted, requireTrust } from './trust';
import { UntrustedWorkspaceError } from '../runtime/trust';

/** The Python extension's active interpreter for `resource`, or undefined (extension absent, none selected, API failure). */
export async function pythonExtensionPath(
  resource?: vscode.Uri,
  log?: (line: string) => void,
): Promise<string | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  try {
    const { PythonExtension } = await import('@vscode/python-extension');
    const api = await PythonExtension.api();
    const active = api.environments.getActiveEnvironmentPath(resource);
    // The active path may be an environment folder (conda); the resolved environment names the executable.
    const env = await api.environments.resolveEnvironment(active);
    return env?.executable.uri?.fsPath || active?.path || undefined;
  } catch (err) {
    log?.(`Python extension API unavailable: ${(err as Error).message}`);
    return undefined;
  }
}

interface InterpreterChoice {
  setting: string;
  extPath: string | undefined;
}

/**
 * What findPython chooses from, for `action` (words for the refusal, e.g. "Training"). Throws
 * UntrustedWorkspaceError in Restricted Mode, before reading any setting or running anything.
 */
async function interpreterChoice(
  action: string,
  resource?: vscode.Uri,
  log?: (line: string) => void,
): Promise<InterpreterChoice> {
  assertTrusted(action);
  return { setting: config.python(resource), extPath: await pythonExtensionPath(resource, log) };
}

/** The interpreter for `action`: trust, then setting → Python extension → PATH (see interpreterChoice). */
export async function resolveInterpreter(
  action: string,
  resource?: vscode.Uri,
  log?: (line: string) => void,
): Promise<FoundPython> {
  const { setting, extPath } = await interpreterChoice(action, resource, log);
  return findPython(setting, extPath);
}

export interface PythonCheck {
  python: FoundPython;
  report: DoctorReport;
}

export class PythonEnv implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private cache = new Map<string, Promise<PythonCheck>>();
  private disposables: vscode.Disposable[] = [];

  constructor(private readonly output: vscode.OutputChannel) {
    this.item = vscode.window.createStatusBarItem('batchscope.python', vscode.StatusBarAlignment.Left, 40);
    this.item.name = 'Batchscope Python';
    this.item.command = 'batchscope.runDoctor';
    this.disposables.push(
      this.item,
      onSettingChange(['python'], () => this.invalidate()),
    );
    void this.watchPythonExtension();
  }

  invalidate(): void {
    this.cache.clear();
  }

  private async watchPythonExtension(): Promise<void> {
    if (!vscode.extensions.getExtension('ms-python.python')) return;
    try {
      const { PythonExtension } = await import('@vscode/python-extension');
      const api = await PythonExtension.api();
      this.disposables.push(api.environments.onDidChangeActiveEnvironmentPath(() => this.invalidate()));
    } catch {
      /* reported when the path is asked for */
    }
  }

  /**
   * Finds the interpreter and runs the doctor (cached). Rejects with a message fit for the user
   * (UntrustedWorkspaceError in Restricted Mode: nothing runs).
   */
  check(action: string, resource?: vscode.Uri, force = false): Promise<PythonCheck> {
    return (async () => {
      const choice = await interpreterChoice(action, resource, (l) => this.output.appendLine(l));
      const key = `${choice.setting}\u0000${choice.extPath ?? ''}`;
      if (force) this.cache.delete(key);
      let p = this.cache.get(key);
      if (!p) {
        p = this.runCheck(choice);
        this.cache.set(key, p);
        p.catch(() => this.cache.delete(key));
      }
      return p;
    })();
  }

  private async runCheck({ setting, extPath }: InterpreterChoice): Promise<PythonCheck> {
    this.item.text = '$(sync~spin) Python…';
    this.item.tooltip = 'Batchscope: checking the Python environment';
    this.item.show();
    try {
      const python = await findPython(setting, extPath);
      this.output.appendLine(`Python: ${python.path} (${python.version}, from ${python.source})`);
      const report = await runDoctor(python.path);
      this.output.appendLine(`doctor: ${JSON.stringify(report)}`);
      this.showReport(python, report);
      return { python, report };
    } catch (err) {
      this.item.text = '$(error) Python';
      this.item.tooltip = (err as Error).message;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      throw err;
    }
  }

  private showReport(python: FoundPython, r: DoctorReport): void {
    const torch = r.packages.torch;
    const cuda = r.cuda.available
      ? `CUDA ${r.cuda.version ?? ''} · ${r.cuda.devices.length} GPU${r.cuda.devices.length === 1 ? '' : 's'}`
      : r.mps?.available
        ? 'MPS'
        : 'CPU only';
    this.item.text = `${r.ok ? '$(check)' : '$(warning)'} Py ${r.python.version} · torch ${torch?.version ?? 'missing'} · ${cuda}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Batchscope runtime** — \`${python.path}\` (from ${python.source})\n\n`);
    for (const [name, p] of Object.entries(r.packages))
      md.appendMarkdown(
        `- ${p.ok ? '✓' : '✗'} ${name} ${p.version ?? 'not installed'}${p.problem ? ` — ${p.problem}` : ''}\n`,
      );
    for (const d of r.cuda.devices)
      md.appendMarkdown(
        `- GPU ${d.index}: ${d.name}, ${(d.total_memory / 2 ** 30).toFixed(1)} GiB, sm ${d.capability}${d.bf16 ? ', bf16' : ''}\n`,
      );
    if (r.cuda.error) md.appendMarkdown(`\nCUDA: ${r.cuda.error}\n`);
    for (const m of r.missing) md.appendMarkdown(`\nInstall ${m.package}: \`${m.install}\`\n`);
    md.appendMarkdown('\nClick to run the doctor again.');
    this.item.tooltip = md;
    this.item.backgroundColor = r.ok ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.show();
  }

  /**
   * A usable interpreter for training, or undefined after telling the user why not (with the exact
   * install command and a button that copies it or runs it in a terminal).
   */
  async requireForTraining(resource?: vscode.Uri): Promise<PythonCheck | undefined> {
    let check: PythonCheck;
    try {
      check = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Batchscope: checking Python' },
        () => this.check('Training', resource),
      );
    } catch (err) {
      if (err instanceof UntrustedWorkspaceError) {
        requireTrust(err.action);
        return undefined;
      }
      const pick = await vscode.window.showErrorMessage(`Batchscope: ${(err as Error).message}`, 'Open Settings');
      if (pick === 'Open Settings')
        void vscode.commands.executeCommand('workbench.action.openSettings', 'batchscope.python');
      return undefined;
    }
    const required = check.report.missing.filter((m) => m.required);
    if (required.length) {
      await offerInstall(
        required.map((m) => m.install),
        `Batchscope: ${required.map((m) => `${m.package} (${m.reason})`).join(', ')} missing in ${check.python.path}.`,
      );
      return undefined;
    }
    return check;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export async function offerInstall(commands: string[], message: string): Promise<void> {
  const cmd = [...new Set(commands)].join(' && ');
  const pick = await vscode.window.showErrorMessage(
    `${message} Install with: ${cmd}`,
    'Copy Command',
    'Run in Terminal',
  );
  if (pick === 'Copy Command') await vscode.env.clipboard.writeText(cmd);
  if (pick === 'Run in Terminal') {
    const term = vscode.window.createTerminal({ name: 'Batchscope: install' });
    term.show();
    term.sendText(cmd);
  }
}
