// Messages between the benchmark driver and its ADS client processes (node IPC).
// Times are wall-clock milliseconds with sub-ms precision (performance.timeOrigin
// + performance.now()), comparable across processes on one machine.
import type { ShortType } from './ads-client.ts';

export type ToClients =
  | { type: 'start'; target: string; first: number; count: number; namespaces: number }
  /** Time the first ACK, per watching proxy, of a `kind` response holding `marker`. */
  | { type: 'watch'; id: number; kind: ShortType; marker: string; clusters?: string[] }
  | { type: 'stop' };

export type FromClients =
  /** Loaded (gRPC, the xDS protos): sent once, before any stream opens. */
  | { type: 'hello' }
  /** `retried`: streams the server ended, each reopened after Envoy's back-off. */
  | {
      type: 'progress';
      connected: number;
      ready: number;
      retried: number;
      lastError?: string;
      firstReadyAt?: number;
    }
  /** Every proxy of the process synced; `firstAt` when the first one was. */
  | { type: 'ready'; at: number; firstAt: number }
  | { type: 'armed'; id: number; watching: number }
  | { type: 'done'; id: number; times: number[] }
  | { type: 'stopped'; cpuSeconds: number; maxRssMiB: number };
