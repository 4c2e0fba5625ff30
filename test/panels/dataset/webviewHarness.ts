// Shared by the dataset webview tests: the real webview bundle (dist/webview/dataset.js) in headless
// Chromium under the panel's real CSP, wired to a real DatasetSession in this process, the way VS Code
// carries messages. Call startBrowser() in before() and stopBrowser() in after().
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { panelHtml } from '../../../src/panels/shell';
import { DatasetSession } from '../../../src/panels/dataset/session';
import type { TemplatePreviewRequest } from '../../../src/panels/dataset/templateRow';
import type { DatasetFromWebview } from '../../../protocol/webview';

export const REPO = resolve(__dirname, '../../..');
const DIST = join(REPO, 'dist/webview');
const CHROMIUM = process.env.BATCHSCOPE_CHROMIUM ?? '/usr/bin/chromium';
export const DATA = join(REPO, 'test/.fixtures/data');
export const TOKENIZER_JSON = join(REPO, 'test/.fixtures/tokenizer/tokenizer.json');
export const ORIGIN = 'https://webview.test';
export const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM} (set BATCHSCOPE_CHROMIUM)` : undefined;

let browser: Browser;
export let dir: string;

export async function startBrowser(): Promise<void> {
  if (skip) return;
  assert.ok(existsSync(join(DIST, 'dataset.js')), 'build the webview first: npm run build');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  dir = mkdtempSync(join(tmpdir(), 'bs-webview-'));
}
export async function stopBrowser(): Promise<void> {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Opens `file` in a page wired to a DatasetSession; returns the page and every CSP violation. */
export async function panel(file: string): Promise<{
  page: Page;
  session: DatasetSession;
  violations: string[];
  dialogs: string[];
  /** Every message the page sent to the host, and every row the host sent to the template preview. */
  received: DatasetFromWebview[];
  previews: TemplatePreviewRequest[];
}> {
  const page = await browser.newPage();
  const violations: string[] = [];
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const html = panelHtml({
    cspSource: ORIGIN,
    scriptUri: `${ORIGIN}/dataset.js`,
    styleUri: `${ORIGIN}/dataset.css`,
    title: 'test',
  });
  await page.route(`${ORIGIN}/**`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === '' || name === 'index.html') return route.fulfill({ contentType: 'text/html', body: html });
    // The bundle, its CSS and what the CSS loads (the codicon font), as the webview's own resources.
    if (/^[\w.-]+$/.test(name) && existsSync(join(DIST, name))) {
      const type = { js: 'text/javascript', css: 'text/css', ttf: 'font/ttf' }[name.split('.').pop()!];
      return route.fulfill({ contentType: type ?? 'application/octet-stream', body: readFileSync(join(DIST, name)) });
    }
    return route.fulfill({ status: 404, body: '' });
  });
  const session = new DatasetSession({
    path: file,
    title: 'test',
    cutoffLen: 20,
    post: (m) => void page.evaluate((msg) => window.postMessage(msg, '*'), m as unknown).catch(() => undefined),
    resolveTokenizer: () => ({ path: TOKENIZER_JSON, source: 'setting' }),
    resolveImagePath: () => null,
    previewTemplate: (req) => previews.push(req),
  });
  const received: DatasetFromWebview[] = [];
  const previews: TemplatePreviewRequest[] = [];
  // What VS Code's webview preload provides: acquireVsCodeApi().postMessage → the extension host.
  await page.exposeBinding('__toHost', (_src, msg: DatasetFromWebview) => {
    received.push(msg);
    void session.handle(msg);
  });
  // A string, not a function: tsx's name helpers would not exist inside the page.
  await page.addInitScript(`window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.__toHost(m), getState: () => undefined, setState: () => undefined });`);
  await page.goto(`${ORIGIN}/index.html`);
  return { page, session, violations, dialogs, received, previews };
}

export function manifestPath(name: string): string {
  const m = JSON.parse(readFileSync(join(DATA, 'manifest.json'), 'utf8')) as Record<string, { path: string }>;
  return join(DATA, m[name]!.path);
}
