// Decoder process entry (bundled to dist/parquetWorker.js), started by parquetWorkerClient.ts with
// `--max-old-space-size`. A runaway decode (corrupt run lengths in a data page) ends this process with a
// V8 out-of-memory abort, or is killed at its time bound; the extension host only sees it exit.
import { decodeRowGroup, type DecodeRequest } from './parquetDecode';

if (!process.send) throw new Error('parquetWorker must be started with an IPC channel (child_process.fork)');

process.on('message', (msg: { id: number; req: DecodeRequest }) => {
  decodeRowGroup(msg.req).then(
    (res) => process.send!({ id: msg.id, ok: true, res }),
    (err: unknown) =>
      process.send!({ id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err) }),
  );
});
// The parent went away (closed the channel or died): nothing left to do.
process.on('disconnect', () => process.exit(0));
