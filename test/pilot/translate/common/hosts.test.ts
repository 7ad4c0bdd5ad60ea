// Host matching and the Host header forms a sidecar's virtual hosts accept.
import { describe, expect, it } from 'vitest';
import { parseProxy } from '../../../../pilot/model/proxy.ts';
import type { Service } from '../../../../pilot/model/types.ts';
import {
  altHostnames,
  hostSubsetOf,
  hostsOverlap,
  narrowerHost,
  serviceDomains,
} from '../../../../pilot/translate/common/hosts.ts';

const proxyIn = (ns: string) =>
  parseProxy({ id: `sidecar~10.0.0.1~p.${ns}~${ns}.svc.cluster.local` });

describe('host matching', () => {
  it('covers subdomains with a wildcard, never the bare suffix', () => {
    expect(hostSubsetOf('a.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('*.a.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('example.com', '*.example.com')).toBe(false);
    expect(hostSubsetOf('anything', '*')).toBe(true);
  });

  it('sees overlap both ways and names the narrower host', () => {
    expect(hostsOverlap('*.example.com', 'a.example.com')).toBe(true);
    expect(hostsOverlap('a.example.com', 'b.example.com')).toBe(false);
    expect(narrowerHost('*', 'a.example.com')).toBe('a.example.com');
    expect(narrowerHost('a.example.com', '*.example.com')).toBe('a.example.com');
  });
});

describe('serviceDomains', () => {
  const svc = {
    hostname: 'reviews.bookinfo.svc.cluster.local',
    addresses: ['10.0.0.5', 'fd00::5'],
  } as unknown as Service;

  it('offers the bare name only to proxies in the same namespace', () => {
    expect(altHostnames(svc.hostname, proxyIn('bookinfo'))).toEqual([
      'reviews',
      'reviews.bookinfo',
      'reviews.bookinfo.svc',
    ]);
    expect(altHostnames(svc.hostname, proxyIn('other'))).toEqual([
      'reviews.bookinfo',
      'reviews.bookinfo.svc',
    ]);
  });

  it('has no short forms for hosts outside the cluster domain', () => {
    expect(altHostnames('api.example.com', proxyIn('bookinfo'))).toEqual([]);
  });

  it('adds pod-name wildcards for a headless Kubernetes service', () => {
    const headless = {
      hostname: 'db.data.svc.cluster.local',
      addresses: [],
      headless: true,
      source: 'kubernetes',
    } as unknown as Service;
    expect(serviceDomains(headless, 5432, proxyIn('data'))).toContain(
      '*.db.data.svc.cluster.local:5432',
    );
    expect(serviceDomains(headless, 5432, proxyIn('data'))).toContain('*.db');
  });

  it('lists every form with and without the port, IPv6 VIPs bracketed', () => {
    const d = serviceDomains(svc, 9080, proxyIn('other'));
    expect(d).toEqual([
      'reviews.bookinfo.svc.cluster.local',
      'reviews.bookinfo.svc.cluster.local:9080',
      'reviews.bookinfo.svc.cluster.local.',
      'reviews.bookinfo.svc.cluster.local.:9080',
      'reviews.bookinfo',
      'reviews.bookinfo:9080',
      'reviews.bookinfo.svc',
      'reviews.bookinfo.svc:9080',
      '10.0.0.5',
      '10.0.0.5:9080',
      '[fd00::5]',
      '[fd00::5]:9080',
    ]);
  });
});
