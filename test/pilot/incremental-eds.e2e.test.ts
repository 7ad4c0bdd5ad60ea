// End to end: pilot in file mode and a real gRPC SotW ADS client. An endpoint
// change reaches the proxy as an incremental push (only the changed service's
// ClusterLoadAssignments, no CDS), an endpoint change that alters workload
// identities becomes a full push (cluster SAN checks list them), and an
// endpoint change merged with a config change in one push is not lost.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { workloadsYaml } from '../support/echo/mesh-yaml.ts';
import { metricValue } from '../support/mesh/two-hop-telemetry.ts';
import { AdsStream, CLUSTER_TYPE, ENDPOINT_TYPE, decodeResources, node } from './xds/fixtures.ts';

const A = 'outbound|7070||a.default.svc.cluster.local';
const A_V1 = 'outbound|7070|v1|a.default.svc.cluster.local';
const B = 'outbound|8080||b.default.svc.cluster.local';
const B_V1 = 'outbound|8080|v1|b.default.svc.cluster.local';

let dir: string;
let pilot: RunningPilot;
let stream: AdsStream;

/**
 * Service b with its v1 endpoint at `ip`, naming pod `target`. The pods stay as
 * they are (b-v1 and, from b-alt.yaml, b-alt of another service account), so
 * only the EndpointSlice changes: an endpoint-only change.
 */
function writeB(ip: string, target = 'b-v1'): void {
  const yaml = workloadsYaml('b', 8080, [{ version: 'v1', port: 8080, host: ip }], {
    clusterIpPrefix: '10.96.8',
  })
    .replace(/podIP: [\d.]+/, 'podIP: 10.8.0.1')
    .replace('namespace: default, name: b-v1 }', `namespace: default, name: ${target} }`);
  writeFileSync(join(dir, 'b.yaml'), yaml);
}

const B_ALT_POD = `apiVersion: v1
kind: Pod
metadata: { name: b-alt, namespace: default, labels: { app: b, version: v1 } }
spec:
  serviceAccountName: b-other
  containers: [{ name: b, image: b, ports: [{ name: grpc, containerPort: 8080 }] }]
status: { podIP: 10.8.0.9, phase: Running }
`;

function writeA(subsets: string[]): void {
  writeFileSync(
    join(dir, 'a.yaml'),
    workloadsYaml(
      'a',
      7070,
      subsets.map((version) => ({ version, port: 7070, host: '10.7.0.1' })),
    ),
  );
}

const metric = (name: string, type: string): Promise<number> =>
  metricValue(`http://127.0.0.1:${pilot.monitoringPort}/metrics`, name, { type });

type Response = Record<string, any>;

/** ACKs a response, keeping the EDS names the proxy wants. */
function ack(res: Response, names?: string[]): void {
  stream.send({
    type_url: res.type_url,
    version_info: res.version_info,
    response_nonce: res.nonce,
    ...(names ? { resource_names: names } : {}),
  });
}

/** The next response of a type (an Envoy would take responses of other types in between). */
async function nextOf(typeUrl: string): Promise<Response> {
  for (;;) {
    const res = await stream.next(10_000);
    if (res.type_url === typeUrl) return res;
    ack(res);
  }
}

const text = (res: Response) => JSON.stringify(decodeResources(res.resources));
let edsNames: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-eds-e2e-'));
  writeA(['v1']);
  writeB('10.8.0.1');
  writeFileSync(join(dir, 'b-alt.yaml'), B_ALT_POD);
  pilot = await startPilot({
    configDir: dir,
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 30,
    debounceMaxMs: 300,
  });
  stream = AdsStream.sotw(pilot.xdsPort);
  stream.send({ node: node(), type_url: CLUSTER_TYPE });
  const cds = await stream.next();
  edsNames = Object.entries(decodeResources(cds.resources))
    .filter(([, c]) => c.type === 'EDS')
    .map(([name]) => name);
  ack(cds);
  stream.send({ type_url: ENDPOINT_TYPE, resource_names: edsNames });
  const eds = await stream.next();
  expect(Object.keys(decodeResources(eds.resources)).sort()).toEqual([...edsNames].sort());
  ack(eds, edsNames);
});

afterAll(async () => {
  stream?.close();
  await pilot?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('endpoint changes through pilot', () => {
  it('an endpoint move sends only the changed assignments, and no CDS', async () => {
    expect(edsNames).toEqual(expect.arrayContaining([A, A_V1, B, B_V1]));
    const cdsBefore = await metric('pilot_xds_pushes', 'cds');
    writeB('10.8.0.2');
    const eds = await nextOf(ENDPOINT_TYPE);
    expect(Object.keys(decodeResources(eds.resources)).sort()).toEqual([B, B_V1].sort());
    expect(text(eds)).toContain('10.8.0.2');
    ack(eds, edsNames);
    expect(await metric('pilot_xds_pushes', 'cds')).toBe(cdsBefore);
    expect(await metric('pilot_push_triggers', 'endpoint')).toBeGreaterThan(0);
  });

  it('an endpoint change that alters workload identities is pushed in full', async () => {
    const cdsBefore = await metric('pilot_xds_pushes', 'cds');
    // The slice now names b-alt: b's clusters must check for its identity.
    writeB('10.8.0.3', 'b-alt');
    const cds = await nextOf(CLUSTER_TYPE);
    expect(await metric('pilot_xds_pushes', 'cds')).toBe(cdsBefore + 1);
    expect(JSON.stringify(decodeResources(cds.resources)[B])).toContain('/sa/b-other');
    ack(cds);
    const eds = await nextOf(ENDPOINT_TYPE);
    expect(text(eds)).toContain('10.8.0.3');
    ack(eds, edsNames);
  });

  it('an endpoint change and a config change in one push both arrive', async () => {
    writeB('10.8.0.4', 'b-alt');
    writeA(['v1', 'v2']);
    const cds = await nextOf(CLUSTER_TYPE);
    const clusters = decodeResources(cds.resources);
    expect(Object.keys(clusters)).toContain('outbound|7070|v2|a.default.svc.cluster.local');
    ack(cds);
    // Until the proxy asks for the new cluster's endpoints, EDS carries b's move.
    let sawMove = false;
    for (let i = 0; i < 3 && !sawMove; i++) {
      const eds = await nextOf(ENDPOINT_TYPE);
      sawMove = text(eds).includes('10.8.0.4');
      ack(eds, edsNames);
    }
    expect(sawMove).toBe(true);
  });
});
