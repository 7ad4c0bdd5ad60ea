// Free TCP ports on 127.0.0.1 for child processes that must be told their ports
// (they print bound ports only in a log line). The OS picks; a tiny race with
// other processes remains, as with any pick-then-pass scheme.
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
