// Standalone entry of the `batchscope` debug adapter: `node dist/debugAdapter.js` speaks DAP on
// stdio; `--server=PORT` serves one session per TCP connection on 127.0.0.1:PORT (PORT 0 picks a
// free port; the chosen one is printed as `listening on port N` on stdout). No VS Code API here:
// the adapter needs nothing but the launch/attach arguments.
import * as net from 'node:net';
import { DataLoaderSession } from './session';

function serverPort(argv: string[]): number | undefined {
  for (const a of argv) {
    const m = /^--server=(\d{1,5})$/.exec(a);
    if (m) return Number(m[1]);
  }
  return undefined;
}

const port = serverPort(process.argv.slice(2));
if (port !== undefined) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true); // DAP messages are small: never let Nagle hold one back for an ACK
    const session = new DataLoaderSession();
    session.setRunAsServer(true);
    session.start(socket, socket);
    socket.on('error', () => session.shutdown());
  });
  server.listen(port, '127.0.0.1', () => {
    const addr = server.address() as net.AddressInfo;
    process.stdout.write(`listening on port ${addr.port}\n`);
  });
} else {
  const session = new DataLoaderSession();
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, process.stdout);
}
