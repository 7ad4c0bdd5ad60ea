// A connection's sync status as /debug/syncz and `petrel proxy-status` show
// it: per type, and the worst state among the types for the connection.
import type { Proxy } from '../model/proxy.ts';
import type { Subscription } from './subscription.ts';
import { pushOrder } from './type-urls.ts';
import type { ProxySyncStatus, SyncState } from './types.ts';

const STATE_RANK: Record<SyncState, number> = { 'NOT SENT': 0, SYNCED: 1, STALE: 2, NACK: 3 };

export interface StatusSource {
  readonly id: string;
  readonly transport: 'sotw' | 'delta';
  readonly proxy?: Proxy;
  readonly peer: string;
  readonly connectedAt: Date;
  readonly nacks: number;
  readonly subs: ReadonlyMap<string, Subscription>;
}

export function connectionStatus(conn: StatusSource): ProxySyncStatus {
  const types = [...conn.subs.values()]
    .sort((a, b) => pushOrder(a.typeUrl, b.typeUrl))
    .map((s) => s.status());
  const worst = types.reduce<SyncState>(
    (w, t) => (STATE_RANK[t.state] > STATE_RANK[w] ? t.state : w),
    'NOT SENT',
  );
  const proxy = conn.proxy;
  return {
    proxy: proxy?.id ?? '',
    connectionId: conn.id,
    transport: conn.transport,
    proxyType: proxy?.type ?? '',
    clusterId: proxy?.clusterId ?? '',
    proxyVersion:
      typeof proxy?.metadata.ISTIO_VERSION === 'string' ? proxy.metadata.ISTIO_VERSION : '',
    peer: conn.peer,
    connectedAt: conn.connectedAt.toISOString(),
    state: worst,
    nacks: conn.nacks,
    types,
  };
}
