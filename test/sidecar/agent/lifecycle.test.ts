// The drain sequence: readiness 503 first, then the data plane drains (bounded by
// the drain period), then the xDS stream closes, then the servers, then exit 0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Readiness } from '../../../sidecar/agent/health.ts';
import { Lifecycle } from '../../../sidecar/agent/lifecycle.ts';
import { RecordingDataPlane } from './support/recording-data-plane.ts';

function setup(drainDurationMs: number, drainImpl?: () => Promise<void>) {
  const events: string[] = [];
  const readiness = new Readiness({ initialized: () => true, notReadyReason: () => '' });
  const dataPlane = new RecordingDataPlane();
  dataPlane.drainImpl = async () => {
    events.push(`drain (ready=${readiness.check().ready})`);
    await drainImpl?.();
  };
  const exits: number[] = [];
  const lifecycle = new Lifecycle({
    readiness,
    dataPlane,
    xds: { close: () => void events.push('xds closed') },
    servers: [{ close: async () => void events.push('server closed') }],
    drainDurationMs,
    exit: (code) => {
      events.push(`exit ${code}`);
      exits.push(code);
    },
  });
  return { lifecycle, readiness, dataPlane, events, exits };
}

describe('Lifecycle', () => {
  it('turns readiness off before draining, closes xDS only after the drain, exits 0 last', async () => {
    const { lifecycle, dataPlane, events } = setup(
      5000,
      () => new Promise((r) => setTimeout(r, 50)),
    );
    await lifecycle.shutdown('test');
    expect(events).toEqual(['drain (ready=false)', 'xds closed', 'server closed', 'exit 0']);
    expect(dataPlane.events).toEqual(['drain', 'drained', 'close']);
    expect(lifecycle.state).toBe('stopped');
  });

  it('gives up on in-flight work when the drain period ends', async () => {
    const { lifecycle, dataPlane, events } = setup(50, () => new Promise(() => {}));
    await lifecycle.shutdown('test');
    expect(dataPlane.events).toEqual(['drain', 'close']); // never 'drained'
    expect(events.at(-1)).toBe('exit 0');
  });

  it('runs once however many times it is asked', async () => {
    const { lifecycle, exits } = setup(10);
    const a = lifecycle.shutdown('SIGTERM');
    const b = lifecycle.shutdown('quitquitquit');
    expect(a).toBe(b);
    await a;
    expect(exits).toEqual([0]);
  });

  it('drains and exits 0 on a real SIGTERM, answering 503 while draining', async () => {
    const script = fileURLToPath(new URL('./support/drain-child.ts', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let onLine: (() => void) | undefined;
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
      onLine?.();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const waitFor = (prefix: string) =>
      new Promise<string>((resolve) => {
        const check = () => {
          const found = lines.find((l) => l.startsWith(prefix));
          if (found) resolve(found);
        };
        onLine = check;
        check();
      });
    const port = Number((await waitFor('READY ')).split(' ')[1]);
    expect((await fetch(`http://127.0.0.1:${port}/healthz/ready`)).status).toBe(200);
    child.kill('SIGTERM');
    await waitFor('drain');
    expect((await fetch(`http://127.0.0.1:${port}/healthz/ready`)).status).toBe(503);
    expect(await exited).toBe(0);
    expect(lines.filter((l) => !l.startsWith('READY'))).toEqual(['drain', 'drained', 'xds closed']);
  });
});
