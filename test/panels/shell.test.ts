import { test } from 'node:test';
import assert from 'node:assert/strict';
import { panelHtml, panelNonce } from '../../src/panels/shell';

test('the panel HTML has a strict CSP: no default source, nonce scripts only, data: images', () => {
  const html = panelHtml({
    cspSource: 'https://x.vscode-cdn.net',
    scriptUri: 'https://x/dataset.js',
    styleUri: 'https://x/dataset.css',
    title: 'a"<b>.arrow',
    nonce: 'abc123',
  });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
  assert.match(csp, /img-src data: https:\/\/x.vscode-cdn.net/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.match(html, /<script nonce="abc123" src="https:\/\/x\/dataset.js"><\/script>/);
  assert.match(html, /<title>a&quot;&lt;b&gt;.arrow<\/title>/, 'the file name is escaped');
  assert.equal((html.match(/<script/g) ?? []).length, 1);
});

test('nonces are fresh and alphanumeric', () => {
  const a = panelNonce();
  assert.match(a, /^[A-Za-z0-9]{16,}$/);
  assert.notEqual(a, panelNonce());
});
