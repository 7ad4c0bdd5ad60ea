// `petrel proxy-config` against a real pilot and a real agent: istioctl-shaped
// tables from what pilot sent (--pilot) and from what the proxy runs (--admin),
// which agree for a synced proxy; JSON/YAML output; one line on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createProxyConfigCommand } from '../../../cli/commands/proxy-config.ts';
import { CliError } from '../../../cli/errors.ts';
import { bufferIo } from '../../../cli/operator/io.ts';
import { eventually, startMesh, type Mesh } from '../support/mesh.ts';

let mesh: Mesh;
const PROXY = 'reviews-v1.default';

async function config(...args: string[]) {
  const io = bufferIo();
  const code = await createProxyConfigCommand(io).run(args);
  return { code, out: io.stdout, err: io.stderr };
}

function rows(out: string): string[][] {
  return out
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
}

const fromPilot = (type: string, ...more: string[]) =>
  config(type, PROXY, '--pilot', mesh.pilotAddress, ...more);
const fromAdmin = (type: string, ...more: string[]) =>
  config(type, '--admin', mesh.adminAddress(mesh.reviews), ...more);

beforeAll(async () => {
  mesh = await startMesh();
  await mesh.reviews.xds.whenInitialized();
  // The admin view equals pilot's once the proxy has ACKed everything pilot sent.
  await eventually(async () => (await fromPilot('routes')).out === (await fromAdmin('routes')).out);
});

afterAll(async () => {
  await mesh?.close();
});

describe('petrel proxy-config', () => {
  it('shows clusters with Istio names split into columns and their DestinationRule', async () => {
    const { code, out } = await fromPilot('clusters');
    expect(code).toBe(0);
    const table = rows(out);
    expect(table[0]).toEqual([
      'SERVICE FQDN',
      'PORT',
      'SUBSET',
      'DIRECTION',
      'TYPE',
      'DESTINATION RULE',
    ]);
    expect(table).toContainEqual([
      'reviews.default.svc.cluster.local',
      '9080',
      'v2',
      'outbound',
      'EDS',
      'reviews.default',
    ]);
    expect(table).toContainEqual([
      'details.default.svc.cluster.local',
      '9080',
      '-',
      'outbound',
      'EDS',
    ]);
    expect(table).toContainEqual(['BlackHoleCluster', '-', '-', '-', 'STATIC']);
    // The inbound cluster `inbound|9080||` has no service name.
    expect(out).toMatch(/^\s+9080\s+-\s+inbound\s+\S+$/m);
  });

  it('shows listeners one row per filter chain with its match and destination', async () => {
    const table = rows((await fromPilot('listeners')).out);
    expect(table[0]).toEqual(['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION']);
    // An HTTP port sniffs: HTTP goes to its route config, anything else passes through.
    expect(table).toContainEqual(['0.0.0.0', '9080', 'App: http/1.1,h2c', 'Route: 9080']);
    expect(table).toContainEqual(['0.0.0.0', '9080', 'ALL', 'PassthroughCluster']);
    // PERMISSIVE (no PeerAuthentication): an mTLS chain and a plaintext chain, as istioctl shows them.
    expect(table).toContainEqual([
      '0.0.0.0',
      '15006',
      'Trans: tls; Addr: *:9080',
      'Cluster: inbound|9080||',
    ]);
    expect(table).toContainEqual([
      '0.0.0.0',
      '15006',
      'Trans: raw_buffer; Addr: *:9080',
      'Cluster: inbound|9080||',
    ]);
    // Sorted by port as istioctl does.
    const ports = table.slice(1).map((r) => Number(r[1]));
    expect(ports).toEqual([...ports].sort((a, b) => a - b));
  });

  it('shows routes with the VirtualService that made them', async () => {
    const table = rows((await fromPilot('routes')).out);
    expect(table[0]).toEqual(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE']);
    expect(table).toContainEqual([
      '9080',
      'reviews.default.svc.cluster.local:9080',
      'reviews, reviews.default + 1 more...',
      '/*',
      'reviews.default',
    ]);
    expect(table).toContainEqual([
      '9090',
      'ratings.default.svc.cluster.local:9090',
      'ratings, ratings.default + 1 more...',
      '/*',
    ]);
  });

  it("shows endpoints from pilot's EDS, outlier state unknown there", async () => {
    const table = rows((await fromPilot('endpoints')).out);
    expect(table[0]).toEqual(['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER']);
    expect(table).toContainEqual([
      '127.0.1.4:9080',
      'HEALTHY',
      '-',
      'outbound|9080|v2|reviews.default.svc.cluster.local',
    ]);
    expect(
      table
        .filter((r) => r[3] === 'outbound|9080||reviews.default.svc.cluster.local')
        .map((r) => r[0]),
    ).toEqual(['127.0.1.3:9080', '127.0.1.4:9080', '127.0.1.5:9080']);
  });

  it("shows endpoints from the proxy's /clusters with their outlier state", async () => {
    const table = rows((await fromAdmin('endpoints')).out);
    expect(table).toContainEqual([
      '127.0.1.4:9080',
      'HEALTHY',
      'OK',
      'outbound|9080|v2|reviews.default.svc.cluster.local',
    ]);
  });

  it('agrees with what the proxy runs once the proxy is synced', async () => {
    for (const type of ['clusters', 'listeners', 'routes']) {
      const [pilot, admin] = [await fromPilot(type), await fromAdmin(type)];
      expect(admin.code).toBe(0);
      expect(admin.out, type).toBe(pilot.out);
    }
  });

  it('prints the resources themselves with -o json and -o yaml', async () => {
    const json = JSON.parse((await fromPilot('clusters', '-o', 'json')).out) as Array<
      Record<string, unknown>
    >;
    expect(
      json.every((c) => c['@type'] === 'type.googleapis.com/envoy.config.cluster.v3.Cluster'),
    ).toBe(true);
    expect(json.map((c) => c.name)).toContain('outbound|9080|v1|reviews.default.svc.cluster.local');
    const yaml = parse((await fromPilot('routes', '-o', 'yaml')).out) as Array<
      Record<string, unknown>
    >;
    expect(yaml.map((r) => r.name).sort()).toEqual(['9080', '9090']);
  });

  it('shows the secret table header when no secrets were sent', async () => {
    const { code, out } = await fromPilot('secret');
    expect(code).toBe(0);
    expect(out).toBe(
      'RESOURCE NAME   TYPE   STATUS   VALID CERT   SERIAL NUMBER   NOT AFTER   NOT BEFORE\n',
    );
  });

  it('checks that a proxy named with --admin is the one behind that port', async () => {
    expect((await config('clusters', PROXY, '--admin', mesh.adminAddress(mesh.reviews))).code).toBe(
      0,
    );
    const { code, err } = await config(
      'clusters',
      'productpage-v1.default',
      '--admin',
      mesh.adminAddress(mesh.reviews),
    );
    expect(code).toBe(1);
    expect(err).toBe(
      `petrel proxy-config: proxy admin http://${mesh.adminAddress(mesh.reviews)} serves reviews-v1.default, not productpage-v1.default\n`,
    );
  });

  it('says in one line that pilot has no such proxy, and exits 1', async () => {
    const { code, out, err } = await config(
      'clusters',
      'ghost.default',
      '--pilot',
      mesh.pilotAddress,
    );
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(
      `petrel proxy-config: pilot http://${mesh.pilotAddress}/debug/config_dump?proxyID=ghost.default: HTTP 404: proxy ghost.default is not connected\n`,
    );
  });

  it('rejects a missing type, a missing proxy and two sources as usage errors', async () => {
    await expect(config()).rejects.toBeInstanceOf(CliError);
    await expect(config('bootstrap', PROXY)).rejects.toThrow('got "bootstrap"');
    await expect(config('clusters', '--pilot', mesh.pilotAddress)).rejects.toThrow('want a proxy');
    await expect(config('clusters', PROXY, '--pilot', 'a:1', '--admin', 'b:2')).rejects.toThrow(
      'not both',
    );
  });

  it('accepts istioctl short type names', async () => {
    expect((await config('c', PROXY, '--pilot', mesh.pilotAddress)).out).toBe(
      (await fromPilot('clusters')).out,
    );
    expect((await config('ep', PROXY, '--pilot', mesh.pilotAddress)).out).toBe(
      (await fromPilot('endpoints')).out,
    );
  });
});
