import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { PROGRAM, PYTHON, RUNTIME, TOKENIZER, configure, openSession, topScopes } from '/work/main/test/debug/harness';
(async () => {
  const file = '/tmp/bs-probe-session.json'; try { fs.unlinkSync(file); } catch {}
  const proc = spawn(PYTHON, [PROGRAM, '--listen', '--n', '900', '--batch-size', '2', '--step-delay', '0.01'], { env: { ...process.env, PYTHONPATH: RUNTIME, BATCHSCOPE_SESSION_FILE: file, BATCHSCOPE_SECRET: 'x' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = ''; proc.stdout.on('data', (d) => { out += d; }); proc.stderr.on('data', (d) => { out += d; });
  proc.on('exit', (c) => console.log('JOB EXIT', c, out.slice(-500)));
  while (!/step 200\n/.test(out)) await new Promise((r) => setTimeout(r, 100));
  const sess = JSON.parse(fs.readFileSync(file, 'utf8'));
  console.log('session', sess);
  const s = await openSession();
  console.log('attaching');
  await configure(s, s.dc.attachRequest({ port: sess.port, secret: sess.secret, tokenizer: TOKENIZER } as any), { functionBreakpoints: [{ name: 'train_step' }] });
  console.log('configured');
  const e = await s.ev.next('stopped', 20000);
  console.log(JSON.stringify(e.body));
  const { frames, scopes } = await topScopes(s.dc, 1);
  console.log(frames.map((f) => f.name));
  for (const [k, m] of scopes) console.log(k, JSON.stringify([...m.values()]).slice(0, 800));
  console.log('disconnect');
  await s.dc.disconnectRequest({ terminateDebuggee: false });
  console.log('disconnected');
  await s.dc.stop();
  console.log('stopped');
})();
