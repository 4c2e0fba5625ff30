// One real VS Code per scenario: code-server (server + extension host) with the installed VSIX,
// a throw-away workspace, and headless Debian Chromium driven by playwright-core.
// scripts/e2e.mjs installs code-server and the VSIX once and passes their paths in the environment;
// each scenario file gets its own user-data-dir, workspace, port and browser profile, so one
// failing scenario cannot leave state behind for the next.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Dialog, type Frame, type Locator, type Page } from 'playwright-core';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(REPO, 'test/.fixtures');
export const SHOTS = join(REPO, 'test-output/e2e');
export const PYTHON = process.env.BATCHSCOPE_TEST_PYTHON ?? join(REPO, '.venv/bin/python');

/** Generous: the first extension-host start on a cold 2-core machine takes tens of seconds. */
export const UI_TIMEOUT = 60_000;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end suite through scripts/e2e.mjs (npm run test:e2e)`);
  return v;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitForHttp(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`code-server exited with ${proc.exitCode} before serving ${url}`);
    try {
      const r = await fetch(url, { redirect: 'manual' });
      if (r.status < 500) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms`);
}

/** User settings that keep the screen clean and the run offline and deterministic. */
export const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'editor.minimap.enabled': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'files.hotExit': 'off',
  'window.confirmBeforeClose': 'never',
  'debug.openDebug': 'openOnDebugBreak',
  'debug.internalConsoleOptions': 'neverOpen',
  'terminal.integrated.enablePersistentSessions': false,
  'workbench.colorTheme': 'Default Dark Modern',
  // code-server scans every process on the machine for listening ports; on a shared CI box that
  // forwards strangers' ports into the Ports view. Nothing here needs a forwarded port.
  'remote.autoForwardPorts': false,
};

export interface SessionOptions {
  /** Scenario name: names the screenshot folder and the temp dirs. */
  name: string;
  /** Workspace-relative path → absolute source (file or folder) copied into the workspace. */
  copy?: Record<string, string>;
  /** Workspace-relative path → text content written into the workspace. */
  write?: Record<string, string>;
  /** Extra workspace settings (batchscope.python is always set). */
  settings?: Record<string, unknown>;
  /** Browser viewport; default 1280×800 (screenshot size). */
  viewport?: { width: number; height: number };
  /** Workspace trust on (Restricted Mode until the user trusts the folder); default off. */
  trust?: boolean;
  /** Folder for the screenshots; default test-output/e2e. */
  shots?: string;
}

/** A code-server started elsewhere (the container lane: inside a container, reached through a published port). */
export interface RemoteServer {
  /** Its base URL as this machine reaches it, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** The workspace folder, as the server sees it. */
  workspace: string;
  /** Where its logs can be copied from on this machine, if anywhere. */
  logs?: string;
  /** Ends it (and whatever it spawned). */
  stop(): Promise<void>;
}

export class Session {
  readonly dialogs: Dialog[] = [];
  private constructor(
    readonly page: Page,
    readonly browser: BrowserContext,
    private readonly stopServer: () => Promise<void>,
    readonly workspace: string,
    private readonly logs: string | undefined,
    readonly name: string,
    private readonly shots: string,
  ) {}

  static async start(opts: SessionOptions): Promise<Session> {
    const runDir = env('BATCHSCOPE_E2E_RUN');
    const root = mkdtempSync(join(runDir, `${opts.name}-`));
    const ud = join(root, 'user-data');
    const ws = join(root, 'workspace');
    mkdirSync(join(ud, 'User'), { recursive: true });
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    const userSettings = { ...USER_SETTINGS, 'security.workspace.trust.enabled': opts.trust === true };
    writeFileSync(join(ud, 'User/settings.json'), JSON.stringify(userSettings, null, 2));
    writeFileSync(
      join(ws, '.vscode/settings.json'),
      JSON.stringify({ 'batchscope.python': PYTHON, ...opts.settings }, null, 2),
    );
    for (const [rel, src] of Object.entries(opts.copy ?? {})) {
      if (!existsSync(src)) throw new Error(`fixture missing: ${src} (run: bash scripts/fixtures.sh)`);
      mkdirSync(dirname(join(ws, rel)), { recursive: true });
      cpSync(src, join(ws, rel), { recursive: true });
    }
    for (const [rel, text] of Object.entries(opts.write ?? {})) {
      mkdirSync(dirname(join(ws, rel)), { recursive: true });
      writeFileSync(join(ws, rel), text);
    }

    const port = await freePort();
    const log = createWriteStream(join(root, 'code-server.log'));
    // detached: own process group, so close() ends code-server with everything it spawned.
    const server = spawn(
      env('BATCHSCOPE_E2E_NODE'),
      [
        env('BATCHSCOPE_E2E_ENTRY'),
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        ...(opts.trust ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override',
        '--user-data-dir',
        ud,
        '--extensions-dir',
        env('BATCHSCOPE_E2E_EXT'),
        ws,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BATCHSCOPE_TEST_PYTHON: PYTHON } },
    );
    server.stdout!.pipe(log);
    server.stderr!.pipe(log);
    registerPid(runDir, server.pid!);
    const stop = async () => {
      killGroup(server);
      await new Promise<void>((r) => (server.exitCode !== null ? r() : server.once('exit', () => r())));
    };
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, server, 60_000);
    } catch (err) {
      await stop();
      throw err;
    }
    return Session.connect(
      opts,
      { url: `http://127.0.0.1:${port}`, workspace: ws, logs: join(ud, 'logs'), stop },
      join(root, 'chromium'),
    );
  }

  /**
   * Drives a code-server that is already serving (`server`): a fresh Chromium profile in `profile`
   * opens its workspace and waits for the workbench. close() ends the browser, then `server.stop()`.
   */
  static async connect(opts: SessionOptions, server: RemoteServer, profile: string): Promise<Session> {
    let browser: BrowserContext | undefined;
    try {
      // A persistent context is how playwright takes a fresh --user-data-dir (a new profile per scenario).
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: process.env.BATCHSCOPE_E2E_CHROMIUM ?? '/usr/bin/chromium',
        headless: true,
        viewport: opts.viewport ?? { width: 1280, height: 800 },
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      const s = new Session(page, browser, server.stop, server.workspace, server.logs, opts.name, opts.shots ?? SHOTS);
      // A page-level dialog listener sees alert()/confirm() from every frame, webview iframes included.
      page.on('dialog', (d) => {
        s.dialogs.push(d);
        void d.dismiss().catch(() => {});
      });
      await page.goto(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`, { timeout: UI_TIMEOUT });
      await page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT });
      // The status bar's remote indicator appears once the workbench talks to the server.
      await page.locator('.statusbar').waitFor({ timeout: UI_TIMEOUT });
      return s;
    } catch (err) {
      await browser?.close().catch(() => {});
      await server.stop().catch(() => {});
      throw err;
    }
  }

  /** Path inside the workspace. */
  ws(rel: string): string {
    return join(this.workspace, rel);
  }

  /** Runs a command from the palette by its title, as a person would (F1, type, Enter). */
  async command(title: string): Promise<void> {
    await this.quickInput('F1', `>${title}`, title);
  }

  /**
   * Folds or unfolds a pane of the view in front (Run and Debug: Variables, Watch, Call Stack,
   * Breakpoints) by its title, from whatever state it is in. Set, never toggled: a pane's state
   * outlives a test in the profile, and a pane can come up with a 0 px body (seen in CI runs: the
   * Breakpoints header at the bottom of the view, so its inline input never showed).
   */
  async setPane(title: string, expanded: boolean): Promise<void> {
    const header = this.page.locator('.pane-header', { hasText: title }).first();
    if ((await header.getAttribute('aria-expanded')) !== String(expanded)) await header.click();
    await this.page
      .locator(`.pane-header[aria-expanded="${expanded}"]`, { hasText: title })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
  }

  /** Rows left in the Run and Debug view's Call Stack, unfolded first (a folded pane renders none). */
  async callStackRows(): Promise<number> {
    await this.setPane('Call Stack', true);
    // Unfolded just now, the pane renders its rows a moment later: wait for them to go, then count.
    const rows = this.page.locator('.debug-call-stack .monaco-list-row');
    await rows
      .first()
      .waitFor({ state: 'detached', timeout: UI_TIMEOUT })
      .catch(() => {});
    return rows.count();
  }

  /** Quick Open (Ctrl+P) a workspace file by name; `rowText` picks the row containing it (e.g. a path). */
  async quickOpen(fileName: string, rowText = fileName): Promise<void> {
    await this.quickInput('Control+P', fileName, rowText);
  }

  /**
   * Opens the quick input with `key`, types `text`, and clicks the row containing `rowText`.
   * The palette lists what is registered when it opens: right after start-up the extension's
   * commands (or the file index) may not be there yet, so close and reopen until the row shows.
   */
  private async quickInput(key: string, text: string, rowText: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: rowText })
      .first();
    const until = Date.now() + UI_TIMEOUT;
    for (let attempt = 0; ; attempt++) {
      // A key pressed while the previous quick input is still closing would close the new one.
      await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT }).catch(() => {});
      await this.page.keyboard.press(key);
      try {
        const wait = Math.min(5000 * (attempt + 1), Math.max(1000, until - Date.now()));
        await input.waitFor({ state: 'visible', timeout: wait });
        await input.fill(text, { timeout: wait });
        await row.waitFor({ timeout: wait });
        break;
      } catch (err) {
        if (Date.now() > until)
          throw new Error(`"${rowText}" never appeared in the quick input for "${text}": ${(err as Error).message}`);
        if (await input.isVisible()) await this.page.keyboard.press('Escape');
      }
    }
    await row.click();
  }

  /** Answers an open quick pick by choosing the row containing `text`. */
  async pick(text: string): Promise<void> {
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ timeout: UI_TIMEOUT });
    await row.click();
  }

  /**
   * The frame (any depth) whose document holds `selector`, waiting until one does. Use it when
   * several webviews may be open: it finds the panel by what it shows, not by position.
   */
  async frameWith(selector: string, timeoutMs = UI_TIMEOUT): Promise<Frame> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue;
        if (
          await f
            .locator(selector)
            .count()
            .catch(() => 0)
        )
          return f;
      }
      if (Date.now() > until) throw new Error(`no webview frame shows ${selector} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async screenshot(step: string, target?: Locator): Promise<string> {
    mkdirSync(this.shots, { recursive: true });
    const file = join(this.shots, `${this.name}-${step}.png`);
    if (target) await target.screenshot({ path: file });
    else await this.page.screenshot({ path: file });
    return file;
  }

  /** Ends chromium and code-server (its whole process group); copies logs next to the screenshots. */
  async close(): Promise<void> {
    // The last screen, pass or fail: the first thing to look at when a scenario breaks.
    await this.screenshot('final').catch(() => {});
    await this.browser.close().catch(() => {});
    await this.stopServer().catch(() => {});
    const logs = this.logs;
    if (logs && existsSync(logs)) {
      try {
        cpSync(logs, join(this.shots, 'logs', this.name), { recursive: true });
      } catch {
        /* logs are a diagnosis aid only */
      }
    }
  }
}

function killGroup(proc: ChildProcess): void {
  if (proc.pid === undefined || proc.exitCode !== null) return;
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  const t = setTimeout(() => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 3000);
  t.unref();
  proc.once('exit', () => clearTimeout(t));
}

/** scripts/e2e.mjs reads this list after the run and ends any group still alive. */
function registerPid(runDir: string, pid: number): void {
  writeFileSync(join(runDir, 'pids'), `${pid}\n`, { flag: 'a' });
}
