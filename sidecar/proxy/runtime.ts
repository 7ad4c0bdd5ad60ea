// What every listener and request shares: the current clusters, the current route
// configurations, the telemetry hook and the original-destination lookup. Config
// swaps replace what these point to; requests already running keep what they took.
import type net from 'node:net';
import type { RequestCompleteHook } from './record.ts';
import type { RouteTable } from './route/route-table.ts';
import type { ClusterManager } from './upstream/cluster-manager.ts';

export interface OriginalDestination {
  address: string;
  port: number;
}

/**
 * The original destination of a redirected socket (SO_ORIGINAL_DST under iptables
 * REDIRECT). The capture work plugs its implementation in here; undefined means
 * "not redirected", and the socket's local address is its destination.
 */
export type OriginalDestinationResolver = (socket: net.Socket) => OriginalDestination | undefined;

export interface ProxyRuntime {
  readonly clusters: ClusterManager;
  routeTable(name: string): RouteTable | undefined;
  onRequestComplete: RequestCompleteHook | undefined;
  originalDestination: OriginalDestinationResolver;
}
