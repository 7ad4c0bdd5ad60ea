// EDS for SNI-DNAT clusters (`outbound_.PORT_.SUBSET_.HOST`): the service port's
// endpoints narrowed to the subset, less those that do not take Istio mTLS, judged
// as Istio's EDS does (DestinationRule tls mode first, then sidecar and PeerAuthentication).
import { describe, expect, it } from 'vitest';
import type { ConfigObject } from '../../../../api/config/object.ts';
import { loadAssignment } from '../../../../pilot/translate/endpoint/load-assignment.ts';
import { ruleTlsMode } from '../../../../pilot/translate/endpoint/mtls-endpoints.ts';
import { dnsSrvSubsetKey, parseDnsSrvSubsetKey } from '../../../../pilot/translate/common/names.ts';
import type { BuildContext } from '../../../../pilot/translate/cluster/context.ts';
import {
  destinationRule,
  endpointSlice,
  pod,
  push,
  routerProxy,
  service,
} from '../../model/fixtures.ts';

const WEB = 'web.default.svc.cluster.local';
const PORTS = [{ name: 'http', port: 80 }];

function peerAuthentication(name: string, spec: unknown): ConfigObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace: 'default' },
    spec,
  };
}

/** web: 10.1.0.1 (sidecar, v1), 10.1.0.2 (sidecar, v2), 10.1.0.3 (no sidecar, v1). */
function mesh(extra: ConfigObject[] = []): ConfigObject[] {
  const workloads = [
    { ip: '10.1.0.1', version: 'v1', sidecar: true },
    { ip: '10.1.0.2', version: 'v2', sidecar: true },
    { ip: '10.1.0.3', version: 'v1', sidecar: false },
  ];
  return [
    service('web', 'default', PORTS),
    ...workloads.map((w, i) =>
      pod(`web-${i}`, 'default', {
        ip: w.ip,
        labels: {
          app: 'web',
          version: w.version,
          ...(w.sidecar ? { 'security.istio.io/tlsMode': 'istio' } : {}),
        },
      }),
    ),
    endpointSlice(
      'web',
      'default',
      PORTS,
      workloads.map((w, i) => ({ ip: w.ip, pod: `web-${i}` })),
    ),
    ...extra,
  ];
}

const SUBSETS = [
  { name: 'v1', labels: { version: 'v1' } },
  { name: 'v2', labels: { version: 'v2' } },
];

function addresses(objects: ConfigObject[], cluster: string): string[] {
  const ctx: BuildContext = {
    push: push(objects),
    proxy: routerProxy('istio-system', { istio: 'eastwestgateway' }),
    family: 'router',
  };
  const cla = loadAssignment(ctx, cluster) as unknown as { endpoints: any[] };
  return cla.endpoints
    .flatMap((l) => l.lb_endpoints)
    .map((e) => e.endpoint.address.socket_address.address)
    .sort();
}

describe('SNI-DNAT cluster names', () => {
  it('build and parse Istio\u2019s DNS-SRV subset key', () => {
    expect(dnsSrvSubsetKey(80, undefined, WEB)).toBe(`outbound_.80_._.${WEB}`);
    expect(parseDnsSrvSubsetKey(`outbound_.80_.v1_.${WEB}`)).toEqual({
      direction: 'outbound',
      port: 80,
      subset: 'v1',
      host: WEB,
    });
    expect(parseDnsSrvSubsetKey(`outbound|80||${WEB}`)).toBeUndefined();
    expect(parseDnsSrvSubsetKey(`outbound_.http_._.${WEB}`)).toBeUndefined();
    expect(parseDnsSrvSubsetKey('outbound_.80_._.')).toBeUndefined();
  });
});

describe('SNI-DNAT load assignments', () => {
  it('keep only the endpoints with a sidecar, where the outbound cluster has them all', () => {
    expect(addresses(mesh(), `outbound|80||${WEB}`)).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
    expect(addresses(mesh(), `outbound_.80_._.${WEB}`)).toEqual(['10.1.0.1', '10.1.0.2']);
  });

  it('narrow to the subset\u2019s labels', () => {
    const rule = destinationRule('web', 'default', { host: WEB, subsets: SUBSETS });
    expect(addresses(mesh([rule]), `outbound_.80_.v1_.${WEB}`)).toEqual(['10.1.0.1']);
    expect(addresses(mesh([rule]), `outbound_.80_.v2_.${WEB}`)).toEqual(['10.1.0.2']);
    expect(addresses(mesh([rule]), `outbound_.80_.v9_.${WEB}`)).toEqual([]);
  });

  it('follow the DestinationRule tls mode when it sets one: ISTIO_MUTUAL keeps all, another mode none', () => {
    const rule = (tls: unknown, subsets: unknown[] = SUBSETS) =>
      destinationRule('web', 'default', { host: WEB, trafficPolicy: { tls }, subsets });
    expect(addresses(mesh([rule({ mode: 'ISTIO_MUTUAL' })]), `outbound_.80_._.${WEB}`)).toEqual([
      '10.1.0.1',
      '10.1.0.2',
      '10.1.0.3',
    ]);
    expect(addresses(mesh([rule({ mode: 'DISABLE' })]), `outbound_.80_._.${WEB}`)).toEqual([]);
    // A subset's own tls mode overrides the rule's.
    const mixed = rule({ mode: 'DISABLE' }, [
      { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    ]);
    expect(addresses(mesh([mixed]), `outbound_.80_.v1_.${WEB}`)).toEqual(['10.1.0.1', '10.1.0.3']);
  });

  it('drop workloads whose PeerAuthentication disables mTLS on their port', () => {
    const disable = peerAuthentication('web-v2', {
      selector: { matchLabels: { version: 'v2' } },
      mtls: { mode: 'DISABLE' },
    });
    expect(addresses(mesh([disable]), `outbound_.80_._.${WEB}`)).toEqual(['10.1.0.1']);
    const portOnly = peerAuthentication('web-v1', {
      selector: { matchLabels: { version: 'v1' } },
      portLevelMtls: { 9999: { mode: 'DISABLE' } },
    });
    expect(addresses(mesh([portOnly]), `outbound_.80_._.${WEB}`)).toEqual(['10.1.0.1', '10.1.0.2']);
  });
});

describe('ruleTlsMode', () => {
  const rule = (spec: unknown) =>
    ({ metadata: { name: 'r', namespace: 'default' }, spec }) as Parameters<typeof ruleTlsMode>[0];

  it('takes a port-level tls over the top level, for that port only', () => {
    const r = rule({
      host: WEB,
      trafficPolicy: {
        tls: { mode: 'SIMPLE' },
        portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'ISTIO_MUTUAL' } }],
      },
    });
    expect(ruleTlsMode(r, undefined, 80)).toBe('ISTIO_MUTUAL');
    expect(ruleTlsMode(r, undefined, 81)).toBe('SIMPLE');
    expect(ruleTlsMode(undefined, undefined, 80)).toBeUndefined();
  });

  it('falls back from a subset without tls to the rule; an unknown subset has none', () => {
    const r = rule({
      host: WEB,
      trafficPolicy: { tls: { mode: 'DISABLE' } },
      subsets: [{ name: 'v1', labels: {} }],
    });
    expect(ruleTlsMode(r, 'v1', 80)).toBe('DISABLE');
    expect(ruleTlsMode(r, 'v9', 80)).toBeUndefined();
  });
});
