// A tcpSocket probe, as the kubelet runs it: success is a completed TCP connect
// within the timeout; the connection is closed at once.
import { connect } from 'node:net';
import type { ProbeResult, ProbeTarget } from './app-probers.ts';
import { hostPort } from './app-probe-target.ts';

export function tcpProbe(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  const where = hostPort(target.host, target.port);
  return new Promise((resolve) => {
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(target.source ? { localAddress: target.source } : {}),
    });
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        finish({
          status: 500,
          body: '',
          error: `tcp ${where}: no connection after ${timeoutMs} ms`,
        }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ status: 200, body: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ status: 500, body: '', error: `tcp ${where}: ${err.code ?? err.message}` }),
    );
  });
}
