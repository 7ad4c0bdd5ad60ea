import { describe, expect, it } from 'vitest';
import {
  destinationRule,
  hostnames,
  push,
  service,
  serviceEntry,
  sidecarProxy,
  virtualService,
} from './fixtures.ts';
import { normalizeExportTo } from '../../../pilot/model/visibility.ts';

const exported = (name: string, exportTo?: string) =>
  service(
    name,
    'owner',
    [{ name: 'http', port: 80 }],
    {},
    exportTo === undefined ? {} : { annotations: { 'networking.istio.io/exportTo': exportTo } },
  );

describe('exportTo visibility', () => {
  it('normalises "." to the own namespace, collapses to "*" or "~", and falls back to the mesh default', () => {
    expect(normalizeExportTo(['.', 'b', 'b'], 'a', ['*'])).toEqual(['a', 'b']);
    expect(normalizeExportTo(['b', '*'], 'a', ['*'])).toEqual(['*']);
    expect(normalizeExportTo(['~'], 'a', ['*'])).toEqual(['~']);
    expect(normalizeExportTo([], 'a', ['.'])).toEqual(['a']);
    expect(normalizeExportTo(undefined, 'a', ['*'])).toEqual(['*']);
  });

  it('Services: the exportTo annotation decides which namespaces see them (matrix)', () => {
    const pc = push([
      exported('dflt'),
      exported('star', '*'),
      exported('dot', '.'),
      exported('none', '~'),
      exported('tob', 'ns-b'),
      exported('multi', '., ns-c'),
    ]);
    const seen = (ns: string) =>
      hostnames(pc.servicesFor(sidecarProxy(ns))).map((h) => h.split('.')[0]);
    expect(seen('owner')).toEqual(['dflt', 'dot', 'multi', 'star']);
    expect(seen('ns-b')).toEqual(['dflt', 'star', 'tob']);
    expect(seen('ns-c')).toEqual(['dflt', 'multi', 'star']);
    expect(pc.service('none.owner.svc.cluster.local', 'owner')).toBeUndefined();
    expect(pc.service('tob.owner.svc.cluster.local', 'ns-b')).toBeDefined();
    expect(pc.service('tob.owner.svc.cluster.local', 'owner')).toBeUndefined();
  });

  it('the mesh defaultServiceExportTo applies to services without exportTo', () => {
    const pc = push([exported('dflt'), exported('star', '*')], { defaultServiceExportTo: ['.'] });
    expect(hostnames(pc.servicesFor(sidecarProxy('elsewhere')))).toEqual([
      'star.owner.svc.cluster.local',
    ]);
    expect(hostnames(pc.servicesFor(sidecarProxy('owner')))).toHaveLength(2);
  });

  it('ServiceEntries honour spec.exportTo', () => {
    const pc = push([
      serviceEntry('se', 'owner', {
        hosts: ['x.example.com'],
        exportTo: ['.'],
        ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
        resolution: 'DNS',
      }),
    ]);
    expect(pc.service('x.example.com', 'owner')).toBeDefined();
    expect(pc.service('x.example.com', 'other')).toBeUndefined();
  });

  it('VirtualServices: exportTo decides which namespaces’ sidecars get them', () => {
    const pc = push([
      virtualService('pub', 'owner', {
        hosts: ['a.example.com'],
        http: [{ route: [{ destination: { host: 'a.example.com' } }] }],
      }),
      virtualService('priv', 'owner', {
        hosts: ['b.example.com'],
        exportTo: ['.'],
        http: [{ route: [{ destination: { host: 'b.example.com' } }] }],
      }),
      virtualService('tob', 'owner', {
        hosts: ['c.example.com'],
        exportTo: ['ns-b'],
        http: [{ route: [{ destination: { host: 'c.example.com' } }] }],
      }),
      virtualService('hidden', 'owner', {
        hosts: ['d.example.com'],
        exportTo: ['~'],
        http: [{ route: [{ destination: { host: 'd.example.com' } }] }],
      }),
    ]);
    const names = (ns: string) =>
      pc
        .virtualServicesForSidecar(sidecarProxy(ns))
        .map((v) => v.metadata.name)
        .sort();
    expect(names('owner')).toEqual(['priv', 'pub']);
    expect(names('ns-b')).toEqual(['pub', 'tob']);
    expect(names('ns-c')).toEqual(['pub']);
  });

  it('DestinationRules: a rule exported elsewhere is not found from namespaces outside its exportTo', () => {
    const pc = push([
      service('reviews', 'owner', [{ name: 'http', port: 80 }]),
      destinationRule('priv', 'owner', {
        host: 'reviews',
        exportTo: ['.'],
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      }),
    ]);
    expect(pc.destinationRule('owner', 'reviews.owner.svc.cluster.local')?.metadata.name).toBe(
      'priv',
    );
    expect(pc.destinationRule('other', 'reviews.owner.svc.cluster.local')).toBeUndefined();
  });
});
