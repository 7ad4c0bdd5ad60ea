import { describe, expect, it } from 'vitest';
import { destinationRule, push, service, serviceEntry } from './fixtures.ts';

const REVIEWS = 'reviews.app.svc.cluster.local';
const svc = service('reviews', 'app', [{ name: 'http', port: 9080 }]);
const dr = (name: string, ns: string, spec: Record<string, unknown>, ts?: string) =>
  destinationRule(name, ns, spec, ts ? { creationTimestamp: ts } : {});

describe('DestinationRule lookup', () => {
  it('the proxy’s namespace comes first, then the service’s namespace, then the root namespace', () => {
    const all = [
      svc,
      dr('client-side', 'client', { host: REVIEWS }),
      dr('service-side', 'app', { host: 'reviews' }),
      dr('mesh-wide', 'istio-system', { host: '*.svc.cluster.local' }),
    ];
    const pc = push(all);
    expect(pc.destinationRule('client', REVIEWS)?.metadata.name).toBe('client-side');
    expect(pc.destinationRule('other', REVIEWS)?.metadata.name).toBe('service-side');
    expect(push([svc, all[3]!]).destinationRule('other', REVIEWS)?.metadata.name).toBe('mesh-wide');
    expect(push([svc]).destinationRule('other', REVIEWS)).toBeUndefined();
  });

  it('a rule in the proxy’s namespace applies even with exportTo "."', () => {
    const pc = push([
      svc,
      dr('local', 'client', { host: REVIEWS, exportTo: ['.'] }),
      dr('svc', 'app', { host: REVIEWS }),
    ]);
    expect(pc.destinationRule('client', REVIEWS)?.metadata.name).toBe('local');
  });

  it('within a namespace the exact host beats wildcards, and the most specific wildcard wins', () => {
    const pc = push([
      svc,
      serviceEntry('e', 'app', {
        hosts: ['api.eu.example.com'],
        ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
        resolution: 'DNS',
      }),
      dr('broad', 'app', { host: '*.example.com' }),
      dr('narrow', 'app', { host: '*.eu.example.com' }),
      dr('all-local', 'app', { host: '*.app.svc.cluster.local' }),
      dr('exact', 'app', { host: 'reviews' }),
    ]);
    expect(pc.destinationRule('app', 'api.eu.example.com')?.metadata.name).toBe('narrow');
    expect(pc.destinationRule('app', 'www.example.com')?.metadata.name).toBe('broad');
    expect(pc.destinationRule('app', REVIEWS)?.metadata.name).toBe('exact');
    expect(pc.destinationRule('app', 'ratings.app.svc.cluster.local')?.metadata.name).toBe(
      'all-local',
    );
  });

  it('rules for the same host in one namespace merge: the oldest traffic policy wins, subsets are combined', () => {
    const pc = push([
      svc,
      dr(
        'second',
        'app',
        {
          host: 'reviews',
          trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
          subsets: [
            { name: 'v1', labels: { version: 'other' } },
            { name: 'v2', labels: { version: 'v2' } },
          ],
        },
        '2024-02-01T00:00:00Z',
      ),
      dr(
        'first',
        'app',
        {
          host: REVIEWS,
          trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
          subsets: [{ name: 'v1', labels: { version: 'v1' } }],
        },
        '2024-01-01T00:00:00Z',
      ),
    ]);
    const rule = pc.destinationRule('client', REVIEWS)!;
    expect(rule.metadata.name).toBe('first');
    expect(rule.spec.host).toBe(REVIEWS);
    expect(rule.spec.trafficPolicy?.loadBalancer?.simple).toBe('LEAST_REQUEST');
    expect(rule.spec.subsets?.map((s) => [s.name, s.labels?.version])).toEqual([
      ['v1', 'v1'],
      ['v2', 'v2'],
    ]);
  });

  it('a merged rule takes the younger rule’s traffic policy when the older has none', () => {
    const pc = push([
      svc,
      dr(
        'a',
        'app',
        { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
        '2024-01-01T00:00:00Z',
      ),
      dr(
        'b',
        'app',
        { host: 'reviews', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
        '2024-02-01T00:00:00Z',
      ),
    ]);
    expect(pc.destinationRule('app', REVIEWS)?.spec.trafficPolicy?.tls?.mode).toBe('ISTIO_MUTUAL');
  });

  it('a root-namespace rule is used only when neither the proxy’s nor the service’s namespace has one', () => {
    const pc = push([
      svc,
      dr('root', 'istio-system', { host: REVIEWS }),
      dr('svc', 'app', { host: REVIEWS }),
    ]);
    expect(pc.destinationRule('client', REVIEWS)?.metadata.name).toBe('svc');
    expect(pc.destinationRule('client', 'unknown.example.com')).toBeUndefined();
  });

  it('a rule with a workloadSelector applies only to matching proxies in its namespace', () => {
    const pc = push([
      svc,
      dr('plain', 'client', { host: REVIEWS }),
      dr('selected', 'client', { host: REVIEWS, workloadSelector: { labels: { app: 'special' } } }),
    ]);
    expect(pc.destinationRule('client', REVIEWS)?.metadata.name).toBe('plain');
    expect(pc.destinationRule('client', REVIEWS, { app: 'special' })?.metadata.name).toBe(
      'selected',
    );
    expect(pc.destinationRule('client', REVIEWS, { app: 'other' })?.metadata.name).toBe('plain');
  });
});
