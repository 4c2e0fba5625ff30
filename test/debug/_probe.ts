import { launch, topScopes, evaluate, close } from '/work/main/test/debug/harness';
(async () => {
  const s = await launch(['--iterable', '--n', '10', '--first-shard', '7', '--batch-size', '2', '--workers', '2'], { functionBreakpoints: [{ name: 'collate', condition: 'worker_id == 1' }] });
  s.ev.next('terminated', 60000).then(() => console.log('TERMINATED'));
  for (let i = 0; i < 3; i++) {
    const e = await s.ev.next('stopped', 20000).catch((e) => { console.log('no stop'); return undefined; });
    if (!e) break;
    console.log(JSON.stringify(e.body));
    try {
      const { frames, scopes } = await topScopes(s.dc, e.body.threadId);
      console.log(frames.map((f) => f.name));
      console.log(await evaluate(s.dc, frames[0].id, 'len(samples)'));
    } catch (err) { console.log('ERR', (err as Error).message); }
    await s.dc.continueRequest({ threadId: e.body.threadId }).catch((err) => console.log('CONT ERR', err.message));
  }
  console.log(s.ev.output().slice(-1500));
  await close(s);
})();
