// Istio objects for the CRD schema checks: real ones (the samples and the
// translation scenarios) and hand-made edge cases, each with the verdict
// api/istio/validate.ts gives it.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ConfigObject } from '../../api/config/object.ts';
import { resolveKind } from '../../api/config/kinds.ts';

const REPO = join(import.meta.dirname, '..', '..');

export function istioObjects(
  dir: string,
  pattern: RegExp,
): Array<{ file: string; obj: ConfigObject }> {
  const out: Array<{ file: string; obj: ConfigObject }> = [];
  for (const name of readdirSync(join(REPO, dir))
    .filter((n) => pattern.test(n))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(REPO, dir, name), 'utf8'))) {
      const obj = doc.toJS() as ConfigObject | null;
      if (obj && resolveKind(String(obj.apiVersion), String(obj.kind))?.istio)
        out.push({ file: `${dir}/${name}`, obj });
    }
  }
  return out;
}

export const GOOD = [
  ...istioObjects('samples/mesh', /\.yaml$/),
  ...istioObjects('test/golden/translate', /\.in\.yaml$/),
];

const base = (
  kind: string,
  spec: unknown,
  apiVersion = 'networking.istio.io/v1',
): ConfigObject => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'default' },
  spec,
});
const route = (extra: object) =>
  base('VirtualService', {
    hosts: ['r'],
    http: [{ route: [{ destination: { host: 'r' } }], ...extra }],
  });

/** Invalid for both the webhook and the API server. */
export const BAD: Record<string, ConfigObject> = {
  'weight 150': base('VirtualService', {
    hosts: ['r'],
    http: [{ route: [{ destination: { host: 'r' }, weight: 150 }] }],
  }),
  'unknown field in a route': route({ retrys: { attempts: 1 } }),
  'unknown field at the top of spec': base('DestinationRule', { host: 'r', subsetz: [] }),
  'weight as a string': base('VirtualService', {
    hosts: ['r'],
    http: [{ route: [{ destination: { host: 'r' }, weight: '50' }] }],
  }),
  'fractional weight': base('VirtualService', {
    hosts: ['r'],
    http: [{ route: [{ destination: { host: 'r' }, weight: 2.5 }] }],
  }),
  'DestinationRule without host': base('DestinationRule', { subsets: [{ name: 'v1' }] }),
  'empty host': base('DestinationRule', { host: '' }),
  'unknown load balancer': base('DestinationRule', {
    host: 'r',
    trafficPolicy: { loadBalancer: { simple: 'FASTEST' } },
  }),
  'Gateway without servers': base('Gateway', { servers: [] }),
  'Gateway port 70000': base('Gateway', {
    servers: [{ port: { number: 70000, protocol: 'HTTP' }, hosts: ['*'] }],
  }),
  'ServiceEntry without spec': {
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'ServiceEntry',
    metadata: { name: 'x', namespace: 'default' },
  },
  'bad exportTo': base(
    'VirtualService',
    { hosts: ['r'], exportTo: ['Not A Namespace'] },
    'networking.istio.io/v1alpha3',
  ),
  'Sidecar egress host without namespace': base('Sidecar', { egress: [{ hosts: ['reviews'] }] }),
  // Refinements carried as CEL rules.
  'StringMatch with two matchers': base('VirtualService', {
    hosts: ['r'],
    http: [
      { match: [{ uri: { exact: '/a', prefix: '/' } }], route: [{ destination: { host: 'r' } }] },
    ],
  }),
  'header StringMatch with no matcher': base('VirtualService', {
    hosts: ['r'],
    http: [{ match: [{ headers: { a: {} } }], route: [{ destination: { host: 'r' } }] }],
  }),
  'route and redirect together': route({ redirect: { uri: '/b' } }),
  'route with no action': base('VirtualService', {
    hosts: ['r'],
    http: [{ match: [{ uri: { prefix: '/' } }] }],
  }),
  'mirror and mirrors together': route({
    mirror: { host: 'm' },
    mirrors: [{ destination: { host: 'm' } }],
  }),
  'abort with two statuses': route({
    fault: { abort: { httpStatus: 500, grpcStatus: 'UNAVAILABLE' } },
  }),
  'simple and consistentHash together': base('DestinationRule', {
    host: 'r',
    trafficPolicy: { loadBalancer: { simple: 'RANDOM', consistentHash: { useSourceIp: true } } },
  }),
  'consistentHash with no key': base('DestinationRule', {
    host: 'r',
    trafficPolicy: { loadBalancer: { consistentHash: { minimumRingSize: 1024 } } },
  }),
  'endpoints and workloadSelector together': base('ServiceEntry', {
    hosts: ['a.example'],
    endpoints: [{ address: '10.0.0.1' }],
    workloadSelector: { labels: { app: 'a' } },
  }),
  'STATIC endpoint without address': base('ServiceEntry', {
    hosts: ['a.example'],
    resolution: 'STATIC',
    endpoints: [{ labels: { a: 'b' } }],
  }),
};

/** Valid for both (each near a rule above, so the rules are not simply always false). */
export const EDGE_GOOD: Record<string, ConfigObject> = {
  'weight 100': base('VirtualService', {
    hosts: ['r'],
    http: [{ route: [{ destination: { host: 'r' }, weight: 100 }] }],
  }),
  'one header matcher': base('VirtualService', {
    hosts: ['r'],
    http: [
      { match: [{ headers: { a: { regex: 'x.*' } } }], route: [{ destination: { host: 'r' } }] },
    ],
  }),
  'redirect alone': base('VirtualService', {
    hosts: ['r'],
    http: [{ redirect: { uri: '/b', redirectCode: 301 } }],
  }),
  'abort with one status': route({
    fault: { abort: { grpcStatus: 'UNAVAILABLE', percentage: { value: 12.5 } } },
  }),
  'consistentHash with one key': base('DestinationRule', {
    host: 'r',
    trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: 'c', ttl: '0s' } } } },
  }),
  'STATIC endpoints with addresses': base('ServiceEntry', {
    hosts: ['a.example'],
    resolution: 'STATIC',
    ports: [{ number: 80, name: 'http' }],
    endpoints: [{ address: '10.0.0.1', ports: { http: 8080 } }],
  }),
  'DNS endpoint without address': base('ServiceEntry', {
    hosts: ['a.example'],
    resolution: 'DNS',
    endpoints: [{ labels: { a: 'b' } }],
  }),
  'empty VirtualService spec': base('VirtualService', {}),
  'security kind (spec not modelled yet)': base(
    'AuthorizationPolicy',
    { action: 'DENY', rules: [{}] },
    'security.istio.io/v1',
  ),
};

/** Rejected by the webhook only: checks the CRD cannot state (see api/crd/cel-rules.ts). */
export const WEBHOOK_ONLY: Record<string, ConfigObject> = {
  'bad duration': route({ timeout: 'soon' }),
  'bad regex': base('VirtualService', {
    hosts: ['r'],
    http: [{ match: [{ uri: { regex: '(' } }], route: [{ destination: { host: 'r' } }] }],
  }),
  'duplicate subset names': base('DestinationRule', {
    host: 'r',
    subsets: [{ name: 'v1' }, { name: 'v1' }],
  }),
  'unknown port protocol': base('Gateway', {
    servers: [{ port: { number: 80, protocol: 'SMTP' }, hosts: ['*'] }],
  }),
};
