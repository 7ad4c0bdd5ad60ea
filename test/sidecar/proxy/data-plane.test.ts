import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyDataPlane } from '../../../sidecar/proxy/data-plane.ts';
import { httpBackend, send, type Backend } from './support/backends.ts';
import {
  apply,
  canonical,
  cla,
  edsCluster,
  httpListener,
  routeConfig,
  staticCluster,
  tcpListener,
  toCluster,
  TypeUrl,
  vhost,
} from './support/envoy.ts';

type Obj = Record<string, unknown>;
const rds = (name: string): Obj => ({
  rds: { route_config_name: name, config_source: { ads: {} } },
});

describe('ProxyDataPlane config handling', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const backend = async (name: string): Promise<Backend> => {
    const b = await httpBackend(name);
    cleanup.push(() => b.close());
    return b;
  };
  const plane = (): ProxyDataPlane => {
    const dp = new ProxyDataPlane();
    cleanup.push(() => dp.close());
    return dp;
  };

  it('rejects a route set with a bad regex as a whole, with the path, and keeps serving the old routes', async () => {
    const a = await backend('a');
    const dp = plane();
    expect(await apply(dp, TypeUrl.Cluster, [staticCluster('a', [['127.0.0.1', a.port]])])).toEqual(
      [],
    );
    expect(
      await apply(dp, TypeUrl.RouteConfiguration, [
        routeConfig('r', [vhost('v', ['*'], [toCluster('a', '/old')])]),
      ]),
    ).toEqual([]);
    expect(await apply(dp, TypeUrl.Listener, [httpListener('l', rds('r'))])).toEqual([]);
    const url = (p: string): string => `http://127.0.0.1:${dp.listenerAddress('l')!.port}${p}`;
    expect((await send(url('/old'))).status).toBe(200);

    const errors = await apply(dp, TypeUrl.RouteConfiguration, [
      routeConfig('r', [vhost('v', ['*'], [toCluster('a', '/new')])]),
      routeConfig('bad', [
        vhost(
          'v',
          ['*'],
          [{ match: { safe_regex: { regex: '(unclosed' } }, route: { cluster: 'a' } }],
        ),
      ]),
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^bad: virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex\.regex: regex "\(unclosed" does not compile/,
    );
    expect((await send(url('/old'))).status).toBe(200);
    expect((await send(url('/new'))).status).toBe(404);
  });

  it('rejects clusters it cannot honour and keeps the previous clusters', async () => {
    const a = await backend('a');
    const dp = plane();
    await apply(dp, TypeUrl.Cluster, [staticCluster('a', [['127.0.0.1', a.port]])]);
    const errors = await apply(dp, TypeUrl.Cluster, [
      staticCluster('a', [['127.0.0.1', a.port]], { lb_policy: 'CLUSTER_PROVIDED' }),
      staticCluster('tls', [['127.0.0.1', 1]], {
        transport_socket: {
          name: 'tls',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
            allow_renegotiation: true,
          },
        },
      }),
    ]);
    expect(errors).toEqual([
      'a: lb_policy: lb_policy CLUSTER_PROVIDED is not supported',
      'tls: transport_socket.typed_config.allow_renegotiation: allow_renegotiation is not supported',
    ]);
    expect(dp.clusters.get('a')?.spec.lbPolicy).toBe('ROUND_ROBIN');
    expect(dp.clusters.get('tls')).toBeUndefined();
  });

  it('reports an HTTP filter it does not implement unless it is optional', async () => {
    const dp = plane();
    const unknown = {
      name: 'istio.stats',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer',
        max_request_bytes: { value: 1 },
      },
    };
    const router = {
      name: 'envoy.filters.http.router',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
      },
    };
    const errors = await apply(dp, TypeUrl.Listener, [
      httpListener('l', { ...rds('r'), http_filters: [unknown, router] }),
    ]);
    expect(errors).toEqual([
      'l: filter_chains[0].filters[0].typed_config.http_filters[0]: filter istio.stats (envoy.extensions.filters.http.buffer.v3.Buffer) is not supported by this proxy',
    ]);
    expect(
      await apply(dp, TypeUrl.Listener, [
        httpListener('l', {
          ...rds('r'),
          http_filters: [{ ...unknown, is_optional: true }, router],
        }),
      ]),
    ).toEqual([]);
  });

  it('reports a port another process holds for that listener and keeps the rest', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => holder.close(r)));
    const taken = (holder.address() as net.AddressInfo).port;
    const a = await backend('a');
    const dp = plane();
    await apply(dp, TypeUrl.Cluster, [staticCluster('a', [['127.0.0.1', a.port]])]);
    const inline = { route_config: routeConfig('r', [vhost('v', ['*'], [toCluster('a')])]) };
    delete (inline.route_config as Obj)['@type'];
    const errors = await apply(dp, TypeUrl.Listener, [
      httpListener('busy', inline, taken),
      httpListener('ok', inline),
    ]);
    expect(errors).toEqual([`busy: address: cannot bind 127.0.0.1:${taken}: EADDRINUSE`]);
    expect(dp.listenerAddress('busy')).toBeUndefined();
    expect((await send(`http://127.0.0.1:${dp.listenerAddress('ok')!.port}/`)).status).toBe(200);
  });

  it('rejects two listeners on one address in the same update', async () => {
    const dp = plane();
    const errors = await apply(dp, TypeUrl.Listener, [
      tcpListener('x', { cluster: 'a' }, 45123),
      tcpListener('y', { cluster: 'a' }, 45123),
    ]);
    expect(errors).toEqual(['y: address: 127.0.0.1:45123 is already used by listener x']);
  });

  it('swaps routes and endpoints under load without failing a request', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const dp = plane();
    await apply(dp, TypeUrl.Cluster, [edsCluster('svc')]);
    await apply(dp, TypeUrl.ClusterLoadAssignment, [cla('svc', [['127.0.0.1', a.port]])]);
    await apply(dp, TypeUrl.RouteConfiguration, [
      routeConfig('r', [vhost('v', ['*'], [toCluster('svc')])]),
    ]);
    await apply(dp, TypeUrl.Listener, [httpListener('l', rds('r'))]);
    const url = `http://127.0.0.1:${dp.listenerAddress('l')!.port}/`;
    let stop = false;
    const statuses: number[] = [];
    const load = Array.from({ length: 8 }, async () => {
      while (!stop) statuses.push((await send(url)).status);
    });
    for (let i = 0; i < 20; i++) {
      const target = i % 2 === 0 ? b : a;
      expect(
        await apply(dp, TypeUrl.ClusterLoadAssignment, [cla('svc', [['127.0.0.1', target.port]])]),
      ).toEqual([]);
      expect(
        await apply(dp, TypeUrl.RouteConfiguration, [
          routeConfig('r', [
            vhost('v', ['*'], [toCluster('svc', '/', { timeout: `${1 + (i % 3)}s` })]),
          ]),
        ]),
      ).toEqual([]);
      expect(
        await apply(dp, TypeUrl.Cluster, [
          edsCluster('svc', { connect_timeout: `${1 + (i % 2)}s` }),
        ]),
      ).toEqual([]);
      expect(
        await apply(dp, TypeUrl.Listener, [
          httpListener('l', { ...rds('r'), stat_prefix: `p${i}` }),
        ]),
      ).toEqual([]);
      // Let traffic flow on each config before the next swap: wait for requests, not time.
      const seen = statuses.length;
      while (statuses.length < seen + 4) await new Promise((r) => setTimeout(r, 5));
    }
    stop = true;
    await Promise.all(load);
    expect(statuses.length).toBeGreaterThanOrEqual(80);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(a.seen.length).toBeGreaterThan(0);
    expect(b.seen.length).toBeGreaterThan(0);
  });

  it('excludes UNHEALTHY and DRAINING endpoints', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const dp = plane();
    await apply(dp, TypeUrl.Cluster, [edsCluster('svc')]);
    await apply(dp, TypeUrl.ClusterLoadAssignment, [
      cla('svc', [
        { address: '127.0.0.1', port: a.port, health: 'HEALTHY' },
        { address: '127.0.0.1', port: b.port, health: 'UNHEALTHY' },
        { address: '127.0.0.1', port: 1, health: 'DRAINING' },
      ]),
    ]);
    await apply(dp, TypeUrl.RouteConfiguration, [
      routeConfig('r', [vhost('v', ['*'], [toCluster('svc')])]),
    ]);
    await apply(dp, TypeUrl.Listener, [httpListener('l', rds('r'))]);
    const url = `http://127.0.0.1:${dp.listenerAddress('l')!.port}/`;
    for (let i = 0; i < 20; i++) expect((await send(url)).json().backend).toBe('a');
  });

  it('answers 404 while an RDS route configuration has not arrived', async () => {
    const dp = plane();
    await apply(dp, TypeUrl.Listener, [httpListener('l', rds('later'))]);
    expect((await send(`http://127.0.0.1:${dp.listenerAddress('l')!.port}/`)).status).toBe(404);
  });

  it('returns an error line for a resource type it does not take', () => {
    const dp = plane();
    const r = dp.applyConfig(
      'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
      new Map(),
    );
    expect(r.errors).toEqual([
      'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig: this data path does not take this resource type',
    ]);
  });

  it('accepts resources exactly as the registry decodes them', () => {
    // The builders' objects survive encode → decode; this guards the test helpers themselves.
    expect(canonical(staticCluster('a', [['127.0.0.1', 1]])).name).toBe('a');
  });

  it('adds, moves and removes listeners by name', async () => {
    const a = await backend('a');
    const dp = plane();
    await apply(dp, TypeUrl.Cluster, [staticCluster('a', [['127.0.0.1', a.port]])]);
    const one = tcpListener('one', { cluster: 'a' });
    const two = tcpListener('two', { cluster: 'a' });
    expect(await apply(dp, TypeUrl.Listener, [one, two])).toEqual([]);
    const twoPort = dp.listenerAddress('two')!.port;
    const onePort = dp.listenerAddress('one')!.port;
    const moved = { ...one, address: { socket_address: { address: '127.0.0.2', port_value: 0 } } };
    expect(await apply(dp, TypeUrl.Listener, [moved])).toEqual([]);
    expect(dp.listenerAddress('one')?.address).toBe('127.0.0.2');
    expect(dp.listenerAddress('two')).toBeUndefined();
    const refused = (port: number, host = '127.0.0.1'): Promise<boolean> =>
      new Promise((r) => {
        const s = net.connect(port, host);
        s.once('connect', () => {
          s.destroy();
          r(false);
        });
        s.once('error', () => r(true));
      });
    expect(await refused(twoPort)).toBe(true);
    expect(await refused(onePort)).toBe(true);
    expect(await refused(dp.listenerAddress('one')!.port, '127.0.0.2')).toBe(false);
  });
});
