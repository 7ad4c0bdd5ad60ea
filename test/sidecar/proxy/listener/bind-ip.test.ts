// `petrel proxy --bind-ip`: listeners configured on a wildcard or loopback address
// bind the given IP instead (petrel local gives each pod its own loopback address),
// while a listener on any other address keeps it, and names stay as configured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { bindAddressFor } from '../../../../sidecar/proxy/runtime.ts';
import { httpBackend, send, type Backend } from '../support/backends.ts';
import { httpListener, startProxy, staticCluster, toCluster } from '../support/envoy.ts';

const at = (address: string) => ({ address: { socket_address: { address, port_value: 0 } } });

describe('listener bind address override (--bind-ip)', () => {
  let backend: Backend;
  let dp: ProxyDataPlane;

  beforeAll(async () => {
    backend = await httpBackend('app');
    const hcm = {
      route_config: {
        name: 'r',
        virtual_hosts: [{ name: 'v', domains: ['*'], routes: [toCluster('app')] }],
      },
    };
    ({ dp } = await startProxy(
      {
        clusters: [staticCluster('app', [['127.0.0.1', backend.port]])],
        listeners: [
          httpListener('127.0.0.1_9080', hcm, 0),
          httpListener('0.0.0.0_9090', hcm, 0, at('0.0.0.0')),
          httpListener('127.0.7.9_9091', hcm, 0, at('127.0.7.9')),
        ],
      },
      { bindIp: '127.0.7.8' },
    ));
  });
  afterAll(async () => {
    dp.close();
    await backend.close();
  });

  it('binds loopback and wildcard listeners on the override, others where configured', () => {
    expect(dp.listenerAddress('127.0.0.1_9080')?.address).toBe('127.0.7.8');
    expect(dp.listenerAddress('0.0.0.0_9090')?.address).toBe('127.0.7.8');
    expect(dp.listenerAddress('127.0.7.9_9091')?.address).toBe('127.0.7.9');
  });

  it('serves traffic on the override address', async () => {
    const { port } = dp.listenerAddress('127.0.0.1_9080')!;
    const reply = await send(`http://127.0.7.8:${port}/hello`);
    expect(reply.status).toBe(200);
    expect(backend.seen.at(-1)?.url).toBe('/hello');
  });

  it('leaves addresses alone without an override', () => {
    expect(bindAddressFor(undefined)('0.0.0.0')).toBe('0.0.0.0');
    expect(bindAddressFor('10.0.0.1')('::1')).toBe('10.0.0.1');
    expect(bindAddressFor('10.0.0.1')('10.0.0.2')).toBe('10.0.0.2');
  });
});
