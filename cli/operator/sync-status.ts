// `proxy-status` views of pilot's /debug/syncz: istioctl's table (one row per
// connected proxy, one column per xDS type), and the per-type detail of one
// proxy with the text of any NACK.
import type { ProxySyncStatus, TypeSyncStatus } from '../../pilot/xds/types.ts';
import { OperatorError } from './errors.ts';
import { compareText, renderTable } from './table.ts';

export const STATUS_HEADERS = [
  'NAME',
  'CLUSTER',
  'CDS',
  'LDS',
  'EDS',
  'RDS',
  'ECDS',
  'ISTIOD',
  'VERSION',
];
const TABLE_TYPES = ['cds', 'lds', 'eds', 'rds', 'ecds'];

/** `sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local` → `reviews-v1.default`. */
export function proxyName(id: string): string {
  const parts = id.split('~');
  return parts.length === 4 ? parts[2]! : id;
}

/** Checks the answer is syncz's list, so a wrong port gives one clear line. */
export function asSyncz(body: unknown): ProxySyncStatus[] {
  if (
    !Array.isArray(body) ||
    body.some((p) => typeof p?.proxy !== 'string' || !Array.isArray(p?.types))
  )
    throw new OperatorError(
      'PETREL_OPERATOR_RESPONSE',
      '/debug/syncz did not answer a list of proxy sync states',
    );
  return body as ProxySyncStatus[];
}

function typeState(p: ProxySyncStatus, short: string): string {
  return p.types.find((t) => t.type === short)?.state ?? 'NOT SENT';
}

export function statusTable(proxies: readonly ProxySyncStatus[], pilot: string): string {
  const rows = [...proxies]
    .sort((a, b) => compareText(proxyName(a.proxy), proxyName(b.proxy)))
    .map((p) => [
      proxyName(p.proxy),
      p.clusterId || '-',
      ...TABLE_TYPES.map((t) => typeState(p, t)),
      pilot,
      p.proxyVersion || '-',
    ]);
  return renderTable(STATUS_HEADERS, rows);
}

/** The connections of one proxy, by full node id or `pod.namespace`. */
export function findProxy(proxies: readonly ProxySyncStatus[], name: string): ProxySyncStatus[] {
  return proxies.filter((p) => p.proxy === name || proxyName(p.proxy) === name);
}

function typeLabel(t: TypeSyncStatus): string {
  return t.type.startsWith('type.googleapis.com/') ? t.type : t.type.toUpperCase();
}

function indent(text: string, by: string): string {
  return text.replace(/\n/g, `\n${by}`);
}

export function statusDetail(p: ProxySyncStatus): string {
  const lines = [
    `Proxy:       ${proxyName(p.proxy)}`,
    `Node ID:     ${p.proxy}`,
    `Type:        ${p.proxyType || '-'}   Cluster: ${p.clusterId || '-'}   Version: ${p.proxyVersion || '-'}`,
    `Connection:  ${p.connectionId} (${p.transport}) from ${p.peer || '-'} since ${p.connectedAt}`,
    `State:       ${p.state}${p.nacks ? ` (${p.nacks} NACK${p.nacks === 1 ? '' : 's'} on this connection)` : ''}`,
    '',
  ];
  const rows = p.types.map((t) => [
    typeLabel(t),
    t.state,
    t.sentVersion ?? '-',
    t.ackedVersion ?? '-',
    t.sentNonce ?? '-',
    t.ackedNonce ?? '-',
    String(t.resources),
    t.wildcard ? 'yes' : 'no',
  ]);
  const table = renderTable(
    [
      'TYPE',
      'STATE',
      'SENT VERSION',
      'ACKED VERSION',
      'SENT NONCE',
      'ACKED NONCE',
      'RESOURCES',
      'WILDCARD',
    ],
    rows,
  );
  const nacks = p.types
    .filter((t) => t.nack)
    .map((t) => {
      const n = t.nack!;
      const current = t.state === 'NACK' ? 'rejected' : 'rejected earlier';
      const still = n.version ? `; the proxy still runs version ${n.version}` : '';
      return `${typeLabel(t)} ${current} (nonce ${n.nonce}, ${n.at}, code ${n.code}${still}):\n  ${indent(n.message, '  ')}`;
    });
  return `${lines.join('\n')}\n${table}${nacks.length ? `\n${nacks.join('\n')}\n` : ''}`;
}
