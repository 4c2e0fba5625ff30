import { launch, topScopes, vars, close } from '/work/main/test/debug/harness';
(async () => {
  const args = process.argv.slice(2);
  const s = await launch(['--n', '24', '--batch-size', '4', '--tokenizer', '/work/main/test/.fixtures/tokenizer', ...args], { functionBreakpoints: [{ name: 'collate', condition: 'batch_index == 3' }] });
  const e = await s.ev.next('stopped');
  console.log(JSON.stringify(e.body));
  const { frames, scopes } = await topScopes(s.dc, e.body.threadId);
  console.log(JSON.stringify(frames, null, 0));
  for (const [k, m] of scopes) console.log(k, JSON.stringify([...m.values()]));
  await s.dc.nextRequest({ threadId: e.body.threadId });
  const e2 = await s.ev.next('stopped');
  console.log(JSON.stringify(e2.body));
  const r = await topScopes(s.dc, e2.body.threadId);
  console.log(JSON.stringify(r.frames));
  for (const [k, m] of r.scopes) console.log(k, JSON.stringify([...m.values()]));
  await close(s);
})();
