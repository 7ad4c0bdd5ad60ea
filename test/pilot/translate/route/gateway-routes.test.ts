// Behaviour of a gateway's routes (gateway scenario): server hosts × bound
// VirtualServices, merged VirtualServices with catch-alls last, matches for other
// gateways left out, hosts the server does not allow unreachable.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../api/istio/validate.ts';
import { loadScenario, named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';
import { simulate } from '../support/route-sim.ts';

const s = loadScenario('gateway');
const http80 = named(resourcesOf(s, 'rds'), 'http.80');

describe('gateway routes', () => {
  it('routes bookinfo paths in VirtualService order, exact path before prefix', () => {
    expect(simulate(http80, { host: 'bookinfo.example.com', path: '/productpage' })?.cluster).toBe(
      'outbound|9080||productpage.default.svc.cluster.local',
    );
    expect(simulate(http80, { host: 'bookinfo.example.com', path: '/productpage/x' })?.route).toBe(
      'fallback',
    );
    expect(
      simulate(http80, { host: 'bookinfo.example.com:80', path: '/static/app.js' })?.route,
    ).toBe('productpage');
    expect(simulate(http80, { host: 'bookinfo.example.com', path: '/reviews/1' })?.cluster).toBe(
      'outbound|9080||reviews.default.svc.cluster.local',
    );
  });

  it('merges a second VirtualService on the same host behind the first one', () => {
    expect(simulate(http80, { host: 'bookinfo.example.com', path: '/other' })).toMatchObject({
      route: 'fallback',
      cluster: 'outbound|9080||details.default.svc.cluster.local',
    });
  });

  it('leaves out matches meant for sidecars (gateways: [mesh])', () => {
    expect(simulate(http80, { host: 'bookinfo.example.com', path: '/internal' })?.route).toBe(
      'fallback',
    );
  });

  it('serves a wildcard server host to the VirtualService that claims it', () => {
    expect(simulate(http80, { host: 'shop.apps.example.com', path: '/' })?.cluster).toBe(
      'outbound|9080||ratings.default.svc.cluster.local',
    );
  });

  it('does not serve a VirtualService host the server does not allow', () => {
    expect(simulate(http80, { host: 'other.example.org', path: '/' })).toBeUndefined();
  });

  it('answers 404 on a port no VirtualService binds to', () => {
    const http8000 = named(resourcesOf(s, 'rds'), 'http.8000');
    expect(simulate(http8000, { host: 'unused.example.com', path: '/' })?.directResponse).toEqual({
      status: 404,
    });
  });
});

describe('gateway listeners', () => {
  it('binds the target port of the gateway Service, else the server port', () => {
    const names = resourcesOf(s, 'lds').map((l) => String(l.name));
    expect(names.sort()).toEqual(['0.0.0.0_31400', '0.0.0.0_8000', '0.0.0.0_8080', '0.0.0.0_8443']);
  });

  it('serves a server that terminates TLS on its own port, keeping the others on the gateway', () => {
    const t = scenarioFromYaml(
      `
kind: TestInclude
file: gateway.in.yaml
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tls-terminating, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 9443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: cert}
`,
    );
    const lds = resourcesOf(t, 'lds');
    const names = lds.map((l) => l.name);
    expect(names).toContain('0.0.0.0_8080');
    const chain = (named(lds, '0.0.0.0_9443').filter_chains as Record<string, unknown>[])[0]!;
    expect(chain.transport_socket).toMatchObject({
      typed_config: {
        common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'kubernetes://cert' }] },
      },
    });
  });

  it('has validation raise nothing for AUTO_PASSTHROUGH, SIMPLE and PASSTHROUGH servers', () => {
    const gw = (mode: string) => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'g', namespace: 'default' },
      spec: {
        servers: [
          { port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode } },
        ],
      },
    });
    for (const mode of ['AUTO_PASSTHROUGH', 'SIMPLE', 'PASSTHROUGH'])
      expect(validateConfig(gw(mode)).warnings).toEqual([]);
  });
});
