import { describe, expect, it } from 'vitest';
import { SecretMerge } from '../../../sidecar/identity/secret-merge.ts';
import { SECRET_TYPE_URL } from '../../../sidecar/identity/secrets.ts';
import type { EnvoyResource } from '../../../sidecar/types.ts';
import { RecordingDataPlane } from './fixtures.ts';

const secret = (name: string, tag: string): [string, EnvoyResource] => [
  name,
  { '@type': SECRET_TYPE_URL, name, generic_secret: { secret: { inline_string: tag } } },
];
const tags = (m: ReadonlyMap<string, EnvoyResource>) =>
  Object.fromEntries(
    [...m].map(([k, v]) => [
      k,
      (v['generic_secret'] as { secret: { inline_string: string } }).secret.inline_string,
    ]),
  );

describe('SecretMerge', () => {
  it('gives the data path the union of xDS and local Secrets, each side replacing only its own', () => {
    const inner = new RecordingDataPlane();
    const merge = new SecretMerge(inner);
    merge.identity.applyConfig(
      SECRET_TYPE_URL,
      new Map([secret('default', 'cert1'), secret('ROOTCA', 'root1')]),
    );
    merge.xds.applyConfig(SECRET_TYPE_URL, new Map([secret('kubernetes://gw-cred', 'gw1')]));
    expect(tags(inner.pushes.at(-1)!.resources)).toEqual({
      default: 'cert1',
      ROOTCA: 'root1',
      'kubernetes://gw-cred': 'gw1',
    });

    merge.identity.applyConfig(
      SECRET_TYPE_URL,
      new Map([secret('default', 'cert2'), secret('ROOTCA', 'root1')]),
    );
    expect(tags(inner.pushes.at(-1)!.resources)).toEqual({
      default: 'cert2',
      ROOTCA: 'root1',
      'kubernetes://gw-cred': 'gw1',
    });

    merge.xds.applyConfig(SECRET_TYPE_URL, new Map());
    expect(tags(inner.pushes.at(-1)!.resources)).toEqual({ default: 'cert2', ROOTCA: 'root1' });
  });

  it('lets the local identity win a name clash', () => {
    const inner = new RecordingDataPlane();
    const merge = new SecretMerge(inner);
    merge.identity.applyConfig(SECRET_TYPE_URL, new Map([secret('default', 'local')]));
    merge.xds.applyConfig(SECRET_TYPE_URL, new Map([secret('default', 'from-pilot')]));
    expect(tags(inner.pushes.at(-1)!.resources)).toEqual({ default: 'local' });
  });

  it('keeps the previous set of a side whose update the data path refused', () => {
    const inner = new RecordingDataPlane();
    const merge = new SecretMerge(inner);
    merge.xds.applyConfig(SECRET_TYPE_URL, new Map([secret('a', '1')]));
    inner.reject = ['b: bad'];
    expect(merge.xds.applyConfig(SECRET_TYPE_URL, new Map([secret('b', '2')])).errors).toEqual([
      'b: bad',
    ]);
    inner.reject = [];
    merge.identity.applyConfig(SECRET_TYPE_URL, new Map([secret('default', 'c')]));
    expect(tags(inner.pushes.at(-1)!.resources)).toEqual({ a: '1', default: 'c' });
  });

  it('passes other resource types straight through', () => {
    const inner = new RecordingDataPlane();
    const merge = new SecretMerge(inner);
    const clusters = new Map<string, EnvoyResource>();
    merge.xds.applyConfig('type.googleapis.com/envoy.config.cluster.v3.Cluster', clusters);
    expect(inner.pushes[0]).toMatchObject({
      typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
    });
    expect(inner.pushes[0]!.resources).toBe(clusters);
  });
});
