// A sidecar's outbound listeners (and virtualOutbound) are shared across proxies of
// one push: proxies that agree on everything the listeners read get the same
// objects (encoded once), proxies that differ in any of it get their own. Each
// input of outbound-key.ts is varied on its own here; a key that missed one would
// serve one proxy another's listeners.
import { describe, expect, it } from 'vitest';
import { resourcesOf, scenarioFromYaml, type Scenario } from '../support/scenario.ts';
import type { EnvoyResource } from '../../../../pilot/translate/types.ts';

const node = (name: string, ns: string, ip: string, meta: Record<string, unknown> = {}) =>
  `kind: TestProxy
name: ${name}
node: {id: sidecar~${ip}~${name}-1.${ns}~${ns}.svc.cluster.local, metadata: ${JSON.stringify({ NAMESPACE: ns, ...meta })}}`;

const mesh = (tcpMatch: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: v1
kind: Service
metadata: {name: cache, namespace: default}
spec:
  clusterIP: 10.96.0.40
  ports: [{name: redis, port: 6379}, {name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: 10.96.0.41
  ports: [{name: tcp, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cache, namespace: default}
spec:
  hosts: [cache]
  tcp:
  - match: [${tcpMatch}]
    route: [{destination: {host: db, port: {number: 5432}}}]
  - route: [{destination: {host: cache, port: {number: 6379}}}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: scoped, namespace: default}
spec:
  workloadSelector: {labels: {app: scoped}}
  egress: [{hosts: [./db.default.svc.cluster.local]}]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
${node('a', 'default', '10.1.0.1', { LABELS: { app: 'client', version: 'v1' } })}
---
${node('same', 'default', '10.1.0.2', { LABELS: { app: 'client', version: 'v1' }, SERVICE_ACCOUNT: 'x', ISTIO_VERSION: '1.31.0' })}
---
${node('labels', 'default', '10.1.0.3', { LABELS: { app: 'client', version: 'v2' } })}
---
${node('ns', 'other', '10.1.0.4', { LABELS: { app: 'client', version: 'v1' } })}
---
${node('v6', 'default', 'fd00::5', { LABELS: { app: 'client', version: 'v1' } })}
---
${node('none', 'default', '10.1.0.6', { LABELS: { app: 'client', version: 'v1' }, INTERCEPTION_MODE: 'NONE' })}
---
${node('scoped', 'default', '10.1.0.7', { LABELS: { app: 'scoped' } })}
---
${node('scoped2', 'default', '10.1.0.8', { LABELS: { app: 'scoped', version: 'v9' } })}
`;

/** The listeners of `proxy` that are not about its own workload (virtualInbound is built per proxy). */
function outbound(s: Scenario, proxy: string): Map<string, EnvoyResource> {
  return new Map(
    resourcesOf(s, 'lds', proxy)
      .filter((l) => l.name !== 'virtualInbound')
      .map((l) => [String(l.name), l]),
  );
}

function sameObjects(s: Scenario, p: string, q: string): boolean {
  const a = outbound(s, p);
  const b = outbound(s, q);
  return a.size === b.size && [...a].every(([name, l]) => b.get(name) === l);
}

/** No listener object in common, virtualOutbound aside (it reads only the address and the policy). */
function sharedNone(s: Scenario, p: string, q: string): boolean {
  const b = new Set(outbound(s, q).values());
  return [...outbound(s, p)].every(([name, l]) => name === 'virtualOutbound' || !b.has(l));
}

const tcpRouteTo = (s: Scenario, proxy: string) => {
  const l = outbound(s, proxy).get('10.96.0.40_6379')!;
  const chains = l.filter_chains as { filters: { typed_config: { cluster?: string } }[] }[];
  return chains[0]!.filters[0]!.typed_config.cluster;
};

describe('outbound listeners shared across proxies', () => {
  const plain = scenarioFromYaml(mesh('{sourceNamespace: other}'));
  const byLabels = scenarioFromYaml(mesh('{sourceLabels: {version: v2}}'));

  it('hands proxies that differ only in IP, labels, service account and metadata the same objects', () => {
    expect(sameObjects(plain, 'a', 'same')).toBe(true);
    expect(sameObjects(plain, 'a', 'labels')).toBe(true);
    // Also the virtual inbound listener stays per proxy.
    const inbound = (p: string) =>
      resourcesOf(plain, 'lds', p).find((l) => l.name === 'virtualInbound');
    expect(inbound('a')).not.toBe(inbound('same'));
  });

  it('keeps proxies of another namespace apart (visibility, sourceNamespace matches)', () => {
    expect(sharedNone(plain, 'a', 'ns')).toBe(true);
    expect(tcpRouteTo(plain, 'a')).toBe('outbound|6379||cache.default.svc.cluster.local');
    expect(tcpRouteTo(plain, 'ns')).toBe('outbound|5432||db.default.svc.cluster.local');
    expect(outbound(plain, 'a').get('virtualOutbound')).toBe(
      outbound(plain, 'ns').get('virtualOutbound'),
    );
  });

  it('keeps an IPv6-only proxy apart: its listeners sit on ::', () => {
    expect(sharedNone(plain, 'a', 'v6')).toBe(true);
    expect(outbound(plain, 'v6').has('::_8080')).toBe(true);
    expect(outbound(plain, 'a').has('0.0.0.0_8080')).toBe(true);
    expect(outbound(plain, 'v6').get('virtualOutbound')).not.toBe(
      outbound(plain, 'a').get('virtualOutbound'),
    );
  });

  it('keeps a proxy without capture apart: bound localhost listeners', () => {
    expect(sharedNone(plain, 'a', 'none')).toBe(true);
    expect([...outbound(plain, 'none').keys()]).toContain('127.0.0.1_8080');
  });

  it('keeps proxies under another Sidecar apart, and shares among those under the same one', () => {
    expect(sharedNone(plain, 'a', 'scoped')).toBe(true);
    expect(sameObjects(plain, 'scoped', 'scoped2')).toBe(true);
    expect([...outbound(plain, 'scoped').keys()].sort()).toEqual([
      '10.96.0.41_5432',
      'virtualOutbound',
    ]);
    const pass = (p: string) =>
      JSON.stringify(outbound(plain, p).get('virtualOutbound')!.filter_chains);
    expect(pass('scoped')).toContain('BlackHoleCluster');
    expect(pass('a')).toContain('PassthroughCluster');
  });

  it('keeps proxies apart by labels when a tcp route matches sourceLabels', () => {
    expect(sameObjects(byLabels, 'a', 'same')).toBe(true);
    expect(sameObjects(byLabels, 'a', 'labels')).toBe(false);
    expect(tcpRouteTo(byLabels, 'a')).toBe('outbound|6379||cache.default.svc.cluster.local');
    expect(tcpRouteTo(byLabels, 'labels')).toBe('outbound|5432||db.default.svc.cluster.local');
    // virtualOutbound reads no labels: still shared.
    expect(outbound(byLabels, 'a').get('virtualOutbound')).toBe(
      outbound(byLabels, 'labels').get('virtualOutbound'),
    );
  });
});
