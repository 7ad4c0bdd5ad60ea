// The types a stream and its server share: what the server lends each stream,
// what a stream hands its transport to send, and the wire shapes gRPC gives.
import type * as grpc from '@grpc/grpc-js';
import type { Generator } from '../translate/types.ts';
import type { Connection } from './connection.ts';
import type { EncodedResource } from './encode.ts';
import type { XdsMetrics } from './metrics.ts';
import type { SendBudget } from './send-budget.ts';
import type { PushSnapshot, XdsLogger } from './types.ts';

/** What a stream needs from the server that owns it. */
export interface StreamContext<Push extends PushSnapshot> {
  readonly generators: ReadonlyMap<string, Generator<Push>>;
  readonly wildcardTypes: ReadonlySet<string>;
  readonly log: XdsLogger;
  readonly metrics: XdsMetrics;
  readonly identifier: string;
  /** Bytes of responses in flight, shared by every stream. */
  readonly budget: SendBudget;
  /** Runs a request's handling in the server's FIFO request queue (see request-queue.ts). */
  schedule(task: () => void): void;
  /** The snapshot last dispatched, or undefined before the first push. */
  currentPush(): Push | undefined;
  /** Adds the connection once its proxy is known; false when the server is stopping. */
  register(conn: Connection<Push>): boolean;
  unregister(conn: Connection<Push>): void;
}

/** One generated type on its way to the proxy. */
export interface Reply<Push> {
  push: Push;
  resources: EncodedResource[];
  /** Send even when nothing changed (a first answer). */
  force: boolean;
  /** performance.now() when the work began, for pilot_xds_push_time. */
  startedAt: number;
  /**
   * The resources are these names only (an incremental push), not the whole
   * subscription, so nothing outside them may be taken as removed or held.
   */
  scoped?: readonly string[];
}

/** google.rpc.Status as proto-loader decodes it. */
export interface WireStatus {
  code?: number;
  message?: string;
}

export type AdsCall = grpc.ServerDuplexStream<unknown, unknown>;
