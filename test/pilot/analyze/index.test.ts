// petrel analyze's engine over YAML fixtures: a clean bookinfo gives no
// message, and each fixture added on top of it gives exactly its messages, with
// Istio's codes, wording and the line of the field they are about.
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ANALYZERS,
  InputBuilder,
  addPaths,
  addText,
  analyze,
  messageJson,
  messageLine,
} from '../../../pilot/analyze/index.ts';
import { allMessageTypes } from '../../../pilot/analyze/messages.ts';
import type { Analyzer } from '../../../pilot/analyze/types.ts';

const DIR = relative(process.cwd(), join(import.meta.dirname, 'fixtures'));
const BOOKINFO = join(DIR, 'bookinfo.yaml');

async function run(...files: string[]): Promise<string[]> {
  const builder = new InputBuilder();
  await addPaths(builder, files);
  return analyze(builder.input()).map(messageLine);
}

/** Messages of a fixture on top of bookinfo, without the "PeerAuthentication is not enforced" notice (it goes once mTLS is). */
async function runCase(name: string): Promise<string[]> {
  const lines = await run(BOOKINFO, join(DIR, name));
  return lines.filter((l) => !/^Warning \[PTR0001\] \(PeerAuthentication /.test(l));
}

const f = (name: string) => join(DIR, name);

const CASES: Record<string, string[]> = {
  'vs-unknown-host.yaml': [
    `Error [IST0101] (VirtualService default/ratings ${f('vs-unknown-host.yaml')}:9) Referenced host not found: "ratingz"`,
  ],
  'vs-unknown-port.yaml': [
    `Error [IST0101] (VirtualService default/details ${f('vs-unknown-port.yaml')}:11) Referenced host:port not found: "details:9999"`,
  ],
  'vs-unknown-subset.yaml': [
    `Error [IST0101] (VirtualService default/reviews-canary ${f('vs-unknown-subset.yaml')}:11) Referenced host+subset in destinationrule not found: "reviews+v9"`,
  ],
  'vs-unknown-gateway.yaml': [
    `Error [IST0101] (VirtualService default/details-ingress ${f('vs-unknown-gateway.yaml')}:7) Referenced gateway not found: "missing-gateway"`,
  ],
  'vs-host-not-in-gateway.yaml': [
    `Warning [IST0132] (VirtualService default/other ${f('vs-host-not-in-gateway.yaml')}:16) one or more host [other.example.com] defined in VirtualService default/other not found in Gateway default/shop-gateway.`,
  ],
  'vs-conflicting-hosts.yaml': [
    `Error [IST0109] (VirtualService default/reviews ${BOOKINFO}:160) The VirtualServices default/reviews,default/reviews-timeout associated with mesh gateway define the same host */reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
    `Error [IST0109] (VirtualService default/reviews-timeout ${f('vs-conflicting-hosts.yaml')}:3) The VirtualServices default/reviews,default/reviews-timeout associated with mesh gateway define the same host */reviews.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
  ],
  'multi-port-destination.yaml': [
    `Error [IST0112] (VirtualService default/search ${f('multi-port-destination.yaml')}:18) This VirtualService routes to a service "search" that exposes multiple ports [80 9000]. Specifying a port in the destination is required to disambiguate.`,
  ],
  'dr-subset-no-endpoints.yaml': [
    `Error [IST0173] (DestinationRule default/details ${f('dr-subset-no-endpoints.yaml')}:9) The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).`,
  ],
  'gateway-no-workload.yaml': [
    `Error [IST0101] (Gateway default/egress ${f('gateway-no-workload.yaml')}:6) Referenced selector not found: "istio=egressgateway"`,
  ],
  'conflicting-gateways.yaml': [
    `Error [IST0145] (Gateway default/bookinfo-gateway ${BOOKINFO}:135) Conflict with gateways default/second-gateway (workload selector istio=ingressgateway, port 8080, hosts *).`,
    `Error [IST0145] (Gateway default/second-gateway ${f('conflicting-gateways.yaml')}:8) Conflict with gateways default/bookinfo-gateway (workload selector istio=ingressgateway, port 8080, hosts bookinfo.example.com).`,
  ],
  'schema-error.yaml': [
    `Error [IST0106] (VirtualService default/ratings-split ${f('schema-error.yaml')}:9) Schema validation error: spec.http[0].route[0].weight: must be 0..100`,
  ],
  'unsupported-field.yaml': [
    `Warning [PTR0001] (DestinationRule default/productpage ${f('unsupported-field.yaml')}:9) Not implemented by Petrel: spec.trafficPolicy.loadBalancer.localityLbSetting: not supported by Petrel yet; ignored`,
  ],
  'duplicate.yaml': [
    `Error [PTR0002] (DestinationRule default/ratings ${f('duplicate.yaml')}:7) Resource defined more than once: also at ${f('duplicate.yaml')}:1`,
  ],
  'port-names.yaml': [
    `Info [IST0118] (Service default/web ${f('port-names.yaml')}:7) Port name web (port: 80, targetPort: 9080) doesn't follow the naming convention of Istio port.`,
  ],
  'service-registry.yaml': [
    `Warning [PTR0003] (ServiceEntry default/reviews-override ${f('service-registry.yaml')}:1) Service registry: host reviews.default.svc.cluster.local is already defined by Service/default/reviews; ignored`,
  ],
  'dr-unknown-host.yaml': [
    `Warning [IST0174] (DestinationRule default/nothere ${f('dr-unknown-host.yaml')}:5) The host nothere.default.svc.cluster.local defined in the DestinationRule does not match any services in the mesh.`,
  ],
  'dr-no-ca-certificates.yaml': [
    `Warning [IST0128] (DestinationRule default/payments ${f('dr-no-ca-certificates.yaml')}:20) DestinationRule payments in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: api.payments.example`,
    `Warning [IST0129] (DestinationRule default/payments ${f('dr-no-ca-certificates.yaml')}:28) DestinationRule payments in namespace default has TLS mode set to MUTUAL but no caCertificates are set to validate server identity for host: api.payments.example at port 9443`,
  ],
  'mtls-strict-vs-disable.yaml': [
    `Error [IST0113] (DestinationRule default/details-plaintext ${f('mtls-strict-vs-disable.yaml')}:16) A DestinationRule and Policy are in conflict with regards to mTLS for host details.default.svc.cluster.local. The DestinationRule "default/details-plaintext" specifies that mTLS must be false but the Policy object "default/details-strict" specifies STRICT.`,
  ],
  'mtls-mutual-vs-disable.yaml': [
    `Error [IST0113] (DestinationRule default/legacy ${f('mtls-mutual-vs-disable.yaml')}:21) A DestinationRule and Policy are in conflict with regards to mTLS for host legacy.legacy.svc.cluster.local. The DestinationRule "default/legacy" specifies that mTLS must be true but the Policy object "legacy/default" specifies DISABLE.`,
  ],
};

describe('analyze over fixtures', () => {
  it('finds nothing wrong in a complete bookinfo', async () => {
    expect(await run(BOOKINFO)).toEqual([]);
  });

  for (const [name, expected] of Object.entries(CASES)) {
    it(`reports exactly its messages for ${name}`, async () => {
      expect(await runCase(name)).toEqual(expected);
    });
  }

  it('reports the shipped samples/mesh as having a Gateway with no workload', async () => {
    // samples/mesh writes out every bookinfo Pod but not the ingress gateway's
    // (`petrel local` starts it as a process, not as a Pod), so as config alone
    // nothing the Gateway selects exists: Istio's own analyzer says the same.
    expect(await run('samples/mesh')).toEqual([
      'Error [IST0101] (Gateway default/bookinfo-gateway samples/mesh/bookinfo-gateway.yaml:6) Referenced selector not found: "istio=ingressgateway"',
    ]);
  });

  it('does not judge Gateway selectors when the config has no Pods at all', async () => {
    const lines = await run(join(DIR, 'gateway-no-workload.yaml'));
    expect(lines.filter((l) => l.includes('selector'))).toEqual([]);
  });

  it('sees no mTLS conflict for ISTIO_MUTUAL towards a PERMISSIVE namespace', async () => {
    const builder = new InputBuilder();
    await addPaths(builder, [BOOKINFO]);
    addText(
      builder,
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata: { name: legacy, namespace: legacy }',
        'spec: { selector: { app: legacy }, ports: [{ name: http, port: 8080 }] }',
        '---',
        'apiVersion: security.istio.io/v1',
        'kind: PeerAuthentication',
        'metadata: { name: default, namespace: legacy }',
        'spec: { mtls: { mode: PERMISSIVE } }',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata: { name: legacy, namespace: default }',
        'spec: { host: legacy.legacy.svc.cluster.local, trafficPolicy: { tls: { mode: ISTIO_MUTUAL } } }',
      ].join('\n'),
      'inline.yaml',
    );
    const codes = analyze(builder.input()).map((m) => m.type.code);
    expect(codes).not.toContain('IST0113');
  });

  it('gives istioctl-shaped JSON for a message', async () => {
    const builder = new InputBuilder();
    await addPaths(builder, [BOOKINFO, join(DIR, 'vs-unknown-host.yaml')]);
    expect(analyze(builder.input()).map(messageJson)).toEqual([
      {
        code: 'IST0101',
        level: 'Error',
        origin: 'VirtualService default/ratings',
        reference: `${f('vs-unknown-host.yaml')}:9`,
        message: 'Referenced host not found: "ratingz"',
        documentationUrl:
          'https://istio.io/latest/docs/reference/config/analysis/ist0101/?ref=petrel-analyze',
      },
    ]);
  });

  it('reports an analyzer that throws as IST0001 and still runs the others', async () => {
    const broken: Analyzer = {
      name: 'test.BrokenAnalyzer',
      description: 'throws',
      analyze() {
        throw new Error('boom');
      },
    };
    const builder = new InputBuilder();
    await addPaths(builder, [BOOKINFO, join(DIR, 'vs-unknown-host.yaml')]);
    const lines = analyze(builder.input(), { analyzers: [broken, ...ANALYZERS] }).map(messageLine);
    expect(lines).toEqual([
      'Error [IST0001] Internal error: test.BrokenAnalyzer: boom',
      `Error [IST0101] (VirtualService default/ratings ${f('vs-unknown-host.yaml')}:9) Referenced host not found: "ratingz"`,
    ]);
  });

  it('lists every message code once, Istio codes where Istio has the check', () => {
    const codes = allMessageTypes().map((t) => t.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).toEqual(
      expect.arrayContaining([
        'IST0101',
        'IST0106',
        'IST0109',
        'IST0113',
        'IST0118',
        'IST0145',
        'IST0173',
      ]),
    );
    expect(codes.every((c) => /^(IST|PTR)\d{4}$/.test(c))).toBe(true);
  });
});
