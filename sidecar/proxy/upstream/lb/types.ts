import type { Host } from '../host.ts';

export interface LbContext {
  /** The request's hash from the route's hash_policy, when it has one. */
  hash: number | undefined;
  /** How many picks were already rejected for this attempt (retry host predicates). */
  rejected: number;
}

export interface LoadBalancer {
  choose(ctx: LbContext): Host | undefined;
}

export interface LbOptions {
  /** LEAST_REQUEST choice_count (default 2). */
  choiceCount: number;
  ringMin: number;
  ringMax: number;
  maglevTableSize: number;
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';
