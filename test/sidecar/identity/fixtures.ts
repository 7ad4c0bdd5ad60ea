// A real mesh CA on a TLS port for the identity tests, and a data path that
// records every Secret set it is given.
import type { ApplyResult, DataPlane, EnvoyResource } from '../../../sidecar/types.ts';
import { startCaServer } from '../../../pilot/ca/ca-server.ts';
import type { CaServerOptions, RunningCaServer } from '../../../pilot/ca/ca-server.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Push {
  at: number;
  typeUrl: string;
  resources: ReadonlyMap<string, EnvoyResource>;
}

export class RecordingDataPlane implements DataPlane {
  readonly pushes: Push[] = [];
  reject: string[] = [];

  applyConfig(typeUrl: string, resources: ReadonlyMap<string, EnvoyResource>): ApplyResult {
    this.pushes.push({ at: Date.now(), typeUrl, resources });
    return { errors: this.reject };
  }
}

export interface Lines {
  lines: string[];
  debug(m: string): void;
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}

export function lines(): Lines {
  const out: string[] = [];
  const at = (level: string) => (m: string) => void out.push(`${level} ${m}`);
  return { lines: out, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface TestCa {
  server: RunningCaServer;
  stateDir: string;
  log: Lines;
  address: string;
  /** Starts the same CA (same root) again, on the same port by default. */
  restart(port?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestCa(extra: Partial<CaServerOptions> = {}): Promise<TestCa> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'petrel-identity-'));
  const log = lines();
  const options: CaServerOptions = {
    stateDir,
    port: 0,
    bootstrapTokens: [{ token: 'sleep-token', namespace: 'default', serviceAccount: 'sleep' }],
    log,
    ...extra,
  };
  const t: TestCa = {
    server: await startCaServer(options),
    stateDir,
    log,
    address: '',
    async restart(port = t.server.port) {
      t.server = await startCaServer({ ...options, port });
    },
    async close() {
      await t.server.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  t.address = `127.0.0.1:${t.server.port}`;
  return t;
}

export async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
