// Binding the agent's small HTTP servers (health, status, admin) with one precise
// error line when the port is taken, and a close that does not wait on keep-alive
// connections (a probe's idle socket must not hold up a shutdown).
import type { Server } from 'node:http';
import { AgentError } from './errors.ts';

export interface ListeningServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function listen(
  server: Server,
  what: string,
  host: string,
  port: number,
): Promise<ListeningServer> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new AgentError(
          'PETREL_AGENT_LISTEN',
          `${what}: cannot listen on ${host}:${port}: ${err.code ?? err.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      resolve({
        host,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
