// The driver's side of the ADS client processes: forks them, splits the M
// proxies between them, and turns their IPC messages into awaitable phases.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { now } from './ads-client.ts';
import type { ShortType } from './ads-client.ts';
import type { FromClients, ToClients } from './ipc.ts';

export interface Progress {
  connected: number;
  ready: number;
  /** Streams the server ended and the proxy reopened (Envoy's back-off). */
  retried: number;
  lastError?: string;
  /** When the first proxy was synced (wall clock ms), if one was. */
  firstReadyAt?: number;
}

export interface SyncResult {
  /** From opening the streams to the first proxy synced, ms. */
  firstMs?: number;
  /** … to the last one synced; undefined on timeout. */
  allMs?: number;
}

export interface WatchResult {
  /** Proxies that were watching. */
  watching: number;
  /** Per proxy that got the change, ms from just before the change to its ACK (all of them unless timedOut). */
  latencies: number[];
  timedOut: boolean;
}

interface Member {
  child: ChildProcess;
  booted: Promise<void>;
  count: number;
  progress: Progress;
  readyAt?: number;
  firstReadyAt?: number;
  listeners: Set<(m: FromClients) => void>;
}

const SCRIPT = new URL('./ads-clients-process.ts', import.meta.url).pathname;

export class ClientGroup {
  readonly proxies: number;
  readonly #members: Member[] = [];
  #watchSeq = 0;

  constructor(proxies: number, processes: number) {
    this.proxies = proxies;
    const procs = Math.max(1, Math.min(processes, proxies));
    for (let i = 0; i < procs; i++) {
      const count = Math.floor(proxies / procs) + (i < proxies % procs ? 1 : 0);
      const child = fork(SCRIPT, [], {
        execPath: process.execPath,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let booted!: () => void;
      const member: Member = {
        child,
        booted: new Promise((r) => (booted = r)),
        count,
        progress: { connected: 0, ready: 0, retried: 0 },
        listeners: new Set(),
      };
      child.on('message', (m: FromClients) => {
        if (m.type === 'hello') booted();
        if (m.type === 'progress') member.progress = m;
        if (m.type === 'ready') {
          member.readyAt = m.at;
          member.firstReadyAt = m.firstAt;
        }
        for (const l of [...member.listeners]) l(m);
      });
      this.#members.push(member);
    }
  }

  get pids(): number[] {
    return this.#members.map((m) => m.child.pid!);
  }

  #send(member: Member, msg: ToClients): void {
    member.child.send(msg);
  }

  progress(): Progress {
    const sum: Progress = { connected: 0, ready: 0, retried: 0 };
    for (const m of this.#members) {
      sum.connected += m.progress.connected;
      sum.ready += m.readyAt !== undefined ? m.count : m.progress.ready;
      sum.retried += m.progress.retried;
      sum.lastError ??= m.progress.lastError;
      const first = m.firstReadyAt ?? m.progress.firstReadyAt;
      if (first !== undefined) sum.firstReadyAt = Math.min(sum.firstReadyAt ?? first, first);
    }
    return sum;
  }

  /** Opens every proxy's stream; resolves when all were synced or the time is up. */
  async connect(
    target: string,
    namespaces: number,
    timeoutMs: number,
    onProgress: (p: Progress) => void,
  ): Promise<SyncResult> {
    await Promise.all(this.#members.map((m) => m.booted));
    const t0 = now();
    let first = 0;
    for (const m of this.#members) {
      this.#send(m, { type: 'start', target, first, count: m.count, namespaces });
      first += m.count;
    }
    const deadline = Date.now() + timeoutMs;
    let lastReport = Date.now();
    while (Date.now() < deadline) {
      if (this.#members.every((m) => m.readyAt !== undefined))
        return {
          firstMs: this.progress().firstReadyAt! - t0,
          allMs: Math.max(...this.#members.map((m) => m.readyAt!)) - t0,
        };
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        onProgress(this.progress());
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const firstAt = this.progress().firstReadyAt;
    return { firstMs: firstAt === undefined ? undefined : firstAt - t0 };
  }

  /** Arms a watch in every process, then makes the change (`change`) and waits for every watching proxy to ACK it. */
  async watch(
    kind: ShortType,
    marker: string,
    clusters: string[] | undefined,
    timeoutMs: number,
    change: () => void,
  ): Promise<WatchResult> {
    const id = ++this.#watchSeq;
    const armed: Promise<number>[] = [];
    const done: Promise<number[]>[] = [];
    const cleanups: (() => void)[] = [];
    for (const m of this.#members) {
      let resolveArmed!: (n: number) => void;
      let resolveDone!: (t: number[]) => void;
      armed.push(new Promise((r) => (resolveArmed = r)));
      done.push(new Promise((r) => (resolveDone = r)));
      const l = (msg: FromClients) => {
        if (msg.type === 'armed' && msg.id === id) resolveArmed(msg.watching);
        if (msg.type === 'done' && msg.id === id) resolveDone(msg.times);
      };
      m.listeners.add(l);
      cleanups.push(() => m.listeners.delete(l));
      this.#send(m, { type: 'watch', id, kind, marker, clusters });
    }
    const watching = (await Promise.all(armed)).reduce((a, b) => a + b, 0);
    const t0 = now();
    change();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>(
      (r) => (timer = setTimeout(() => r(undefined), timeoutMs)),
    );
    const all = await Promise.race([Promise.all(done), timeout]);
    clearTimeout(timer);
    for (const c of cleanups) c();
    if (!all) return { watching, latencies: [], timedOut: true };
    return { watching, latencies: all.flat().map((t) => t - t0), timedOut: false };
  }

  /** Closes every stream and ends the processes; resolves with their CPU seconds and peak RSS. */
  async stop(): Promise<{ cpuSeconds: number; maxRssMiB: number }> {
    const stats = await Promise.all(
      this.#members.map(
        (m) =>
          new Promise<{ cpuSeconds: number; maxRssMiB: number }>((resolve) => {
            if (m.child.exitCode !== null || !m.child.connected)
              return resolve({ cpuSeconds: Number.NaN, maxRssMiB: Number.NaN });
            const kill = setTimeout(() => {
              m.child.kill('SIGKILL');
              resolve({ cpuSeconds: Number.NaN, maxRssMiB: Number.NaN });
            }, 15_000);
            m.listeners.add((msg) => {
              if (msg.type === 'stopped') {
                clearTimeout(kill);
                resolve({ cpuSeconds: msg.cpuSeconds, maxRssMiB: msg.maxRssMiB });
              }
            });
            this.#send(m, { type: 'stop' });
          }),
      ),
    );
    await Promise.all(
      this.#members.map((m) =>
        m.child.exitCode !== null ? undefined : new Promise((r) => m.child.once('exit', r)),
      ),
    );
    return {
      cpuSeconds: stats.reduce((a, s) => a + s.cpuSeconds, 0),
      maxRssMiB: Math.max(...stats.map((s) => s.maxRssMiB)),
    };
  }
}
