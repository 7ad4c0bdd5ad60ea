// The index of VirtualServices with tcp/tls routes answers as the scan it replaces:
// an exact host, a wildcard host covering the service, and (scanned) a wildcard
// service host covered by an exact VirtualService host.
import { describe, expect, it } from 'vitest';
import { named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';

const se = (name: string, host: string, address: string) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: ['${host}']
  addresses: [${address}]
  resolution: NONE
  ports: [{number: 7000, name: tcp, protocol: TCP}]`;

const vs = (name: string, host: string, target: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: default}
spec:
  hosts: ['${host}']
  tcp: [{route: [{destination: {host: ${target}, port: {number: 9000}}}]}]`;

const s = scenarioFromYaml(
  [
    `apiVersion: v1
kind: Namespace
metadata: {name: default}`,
    se('a', 'a.tcp.example', '240.0.0.1'),
    se('b', 'b.tcp.example', '240.0.0.2'),
    se('wild', '*.wild.example', '240.0.0.3'),
    se('sink', 'sink.example', '240.0.0.4'),
    vs('exact', 'a.tcp.example', 'sink.example'),
    vs('wildcard', '*.tcp.example', 'b.tcp.example'),
    vs('inside-wild', 'x.wild.example', 'a.tcp.example'),
    `kind: TestProxy
name: p
node: {id: sidecar~10.1.0.9~client.default~default.svc.cluster.local, metadata: {NAMESPACE: default}}`,
  ].join('\n---\n'),
);
const clusterOf = (listener: string) =>
  (
    named(resourcesOf(s, 'lds'), listener).filter_chains as {
      filters: { typed_config: { cluster?: string } }[];
    }[]
  )[0]!.filters[0]!.typed_config.cluster;

describe('tcp/tls VirtualService claims', () => {
  it('routes a service by the first VirtualService (precedence order) whose host covers it', () => {
    expect(clusterOf('240.0.0.1_7000')).toBe('outbound|9000||sink.example');
  });

  it('routes a service by a wildcard VirtualService host covering it', () => {
    expect(clusterOf('240.0.0.2_7000')).toBe('outbound|9000||b.tcp.example');
  });

  it('routes a wildcard service host by an exact VirtualService host inside it', () => {
    expect(clusterOf('240.0.0.3_7000')).toBe('outbound|9000||a.tcp.example');
  });

  it('leaves a service no VirtualService names to itself', () => {
    expect(clusterOf('240.0.0.4_7000')).toBe('outbound|7000||sink.example');
  });
});
