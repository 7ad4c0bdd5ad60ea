// envoy.filters.network.ext_authz on live TCP connections: a real gRPC authorizer
// decides each new connection (peers only, no HTTP attributes); an allowed one
// reaches the echo upstream, a denied one is closed before anything is connected
// upstream and is recorded with Envoy's termination details. The connections are
// accepted by a plain net.Server that hands them to the chain's network filters
// (listener/network-filters.ts) exactly as the listener does.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Issues } from '../../../../sidecar/proxy/config/issues.ts';
import { CounterMap } from '../../../../sidecar/proxy/filters/filter-stats.ts';
import type { ConnectionInfo } from '../../../../sidecar/proxy/http/request-context.ts';
import {
  admitConnection,
  buildNetworkFilters,
  compileNetworkFilter,
  type NetworkFilters,
} from '../../../../sidecar/proxy/listener/network-filters.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import type { ProxyRuntime } from '../../../../sidecar/proxy/runtime.ts';
import type { EnvoyResource } from '../../../../sidecar/types.ts';
import { ClusterManager } from '../../../../sidecar/proxy/upstream/cluster-manager.ts';
import { canonical } from '../support/envoy.ts';
import {
  talk,
  AUTHZ_CLUSTER,
  authzCluster,
  GRPC_SERVICE,
  grpcAuthorizer,
  NETWORK_EXT_AUTHZ,
  type GrpcAuthorizer,
} from './ext-authz-support.ts';
import { freePort } from './security-support.ts';

type Obj = Record<string, unknown>;

const NETWORK_RBAC = 'type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC';

let authz: GrpcAuthorizer;
let echo: net.Server;
let echoPort: number;
let upstreamConnections = 0;
const servers: net.Server[] = [];

beforeAll(async () => {
  authz = await grpcAuthorizer();
  echo = net.createServer((s) => {
    upstreamConnections++;
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of servers) s.close();
  echo.close();
  await authz.close();
});

interface Chain {
  port: number;
  stats: CounterMap;
  records: RequestRecord[];
  /** Connections the chain admitted (handed to the terminal filter). */
  admitted: number;
}

/** The runtime the filters need: the authorizer's cluster, the counters, the record hook. */
async function runtimeFor(authzPort: number, records: RequestRecord[]): Promise<ProxyRuntime> {
  const clusters = new ClusterManager();
  const c = canonical(authzCluster(AUTHZ_CLUSTER, authzPort, true));
  expect(clusters.applyClusters(new Map([[String(c.name), c]]))).toEqual([]);
  return {
    clusters,
    stats: new CounterMap(),
    onRequestComplete: (r: RequestRecord) => records.push(r),
  } as unknown as ProxyRuntime;
}

function compile(filters: Obj[]): ReturnType<typeof compileNetworkFilter>[] {
  return filters.map((f) => {
    const cfg = canonical(f.typed_config as EnvoyResource) as Obj;
    const issues = new Issues();
    const type = String(cfg['@type']).split('/').pop()!;
    const spec = compileNetworkFilter(String(f.name), type, cfg, issues);
    expect(issues.lines).toEqual([]);
    return spec;
  });
}

/** A listening socket whose connections go through `filters`, then are piped to the echo server. */
async function chain(
  filters: (port: number) => Obj[],
  opts: { authzPort?: number; canWait?: boolean } = {},
): Promise<Chain> {
  const records: RequestRecord[] = [];
  const runtime = await runtimeFor(opts.authzPort ?? authz.port, records);
  const out: Chain = { port: 0, stats: runtime.stats as CounterMap, records, admitted: 0 };
  let network: NetworkFilters | undefined;
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    const conn: ConnectionInfo = {
      listenerName: 'tcp-test',
      remoteAddress: socket.remoteAddress!,
      remotePort: socket.remotePort!,
      localAddress: socket.localAddress!,
      localPort: socket.localPort!,
      destination: { address: socket.localAddress!, port: socket.localPort! },
    };
    const forward = (): void => {
      out.admitted++;
      const up = net.connect(echoPort, '127.0.0.1');
      up.on('error', () => socket.destroy());
      socket.pipe(up).pipe(socket);
    };
    const onAdmitted = opts.canWait === false ? undefined : forward;
    if (admitConnection(network!, socket, conn, '', runtime, onAdmitted)) forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  out.port = (server.address() as net.AddressInfo).port;
  network = buildNetworkFilters(compile(filters(out.port)), runtime);
  return out;
}

/** Istio's TCP ext_authz: stat_prefix `tcp.`, to the authorizer's cluster. */
function extAuthz(extra: Obj = {}): Obj {
  return {
    name: 'envoy.filters.network.ext_authz',
    typed_config: {
      '@type': NETWORK_EXT_AUTHZ,
      stat_prefix: 'tcp.',
      grpc_service: GRPC_SERVICE,
      transport_api_version: 'V3',
      ...extra,
    },
  };
}

const destinationPort = (check: Obj): number =>
  Number(
    (((check.attributes as Obj).destination as Obj).address as { socket_address: Obj })
      .socket_address.port_value,
  );

describe('network ext_authz', () => {
  it('lets an allowed connection through after a check that names only the peers', async () => {
    const c = await chain(() => [extAuthz()]);
    authz.decide = (check) => (destinationPort(check) === c.port ? 'allow' : 'deny');
    expect(await talk(c.port)).toBe('ping');
    const check = authz.checks.at(-1)!;
    expect((check.attributes as Obj).request).toBeUndefined();
    expect((check.attributes as Obj).source).toMatchObject({
      address: { socket_address: { address: '127.0.0.1' } },
    });
    expect(c.admitted).toBe(1);
    expect(Object.fromEntries(c.stats.entries())).toEqual({
      'ext_authz.tcp.total': 1,
      'ext_authz.tcp.ok': 1,
    });
  });

  it('closes a denied connection before anything reaches the upstream, recording UAEX and ext_authz_denied', async () => {
    const c = await chain(() => [extAuthz()]);
    authz.decide = () => 'deny';
    const before = upstreamConnections;
    expect(await talk(c.port)).toBe('');
    expect(upstreamConnections).toBe(before);
    expect(c.admitted).toBe(0);
    await expect.poll(() => c.records.length).toBe(1);
    expect(c.records[0]).toMatchObject({
      connectionTerminationDetails: 'ext_authz_denied',
      flags: 'UAEX',
    });
    expect(Object.fromEntries(c.stats.entries())).toEqual({
      'ext_authz.tcp.total': 1,
      'ext_authz.tcp.denied': 1,
      'ext_authz.tcp.cx_closed': 1,
    });
  });

  it('checks only the connections the CUSTOM network RBAC shadow rules match (filter_enabled_metadata)', async () => {
    const shadowOn = (port: number): Obj => ({
      name: 'envoy.filters.network.rbac',
      typed_config: {
        '@type': NETWORK_RBAC,
        stat_prefix: 'tcp.',
        shadow_rules: {
          action: 'DENY',
          policies: {
            'istio-ext-authz-default-ns[foo]-policy[p]-rule[0]': {
              permissions: [{ destination_port: port }],
              principals: [{ any: true }],
            },
          },
        },
        shadow_rules_stat_prefix: 'istio_ext_authz_',
      },
    });
    const enabled = {
      filter_enabled_metadata: {
        filter: 'envoy.filters.network.rbac',
        path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }],
        value: { string_match: { prefix: 'istio-ext-authz-default' } },
      },
    };
    authz.decide = () => 'deny';
    const checked = await chain((port) => [shadowOn(port), extAuthz(enabled)]);
    const skipped = await chain((port) => [shadowOn(port + 1), extAuthz(enabled)]);
    const before = authz.checks.length;
    expect(await talk(skipped.port)).toBe('ping');
    expect(authz.checks.length).toBe(before);
    expect(skipped.stats.get('ext_authz.tcp.disabled')).toBe(1);
    expect(await talk(checked.port)).toBe('');
    expect(authz.checks.length).toBe(before + 1);
  });

  it('closes the connection when the authorizer is unreachable, unless failure_mode_allow', async () => {
    const dead = await freePort();
    const closed = await chain(() => [extAuthz()], { authzPort: dead });
    expect(await talk(closed.port)).toBe('');
    await expect.poll(() => closed.records.length).toBe(1);
    expect(closed.records[0]!.connectionTerminationDetails).toBe('ext_authz_error');
    const open = await chain(() => [extAuthz({ failure_mode_allow: true })], { authzPort: dead });
    expect(await talk(open.port)).toBe('ping');
    expect(open.stats.get('ext_authz.tcp.failure_mode_allowed')).toBe(1);
  });

  it('refuses, rather than admit unchecked, when the caller cannot wait for the authorizer', async () => {
    const c = await chain(() => [extAuthz()], { canWait: false });
    authz.decide = () => 'allow';
    expect(await talk(c.port)).toBe('');
    await expect.poll(() => c.records.length).toBe(1);
    expect(c.records[0]).toMatchObject({
      connectionTerminationDetails: 'ext_authz_error',
      flags: 'UAEX',
    });
  });
});
