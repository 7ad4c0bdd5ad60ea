// A process holding many simulated Envoy sidecars (bench/pilot/ads-client.ts),
// one gRPC channel and HTTP/2 connection each, as separate Envoys would have.
// Driven over node IPC by bench/pilot/run.ts (messages in ipc.ts).
import * as grpc from '@grpc/grpc-js';
import { envoyRoot, loadAdsPackage } from '../../api/envoy/registry.ts';
import { AdsClient } from './ads-client.ts';
import type { ShortType } from './ads-client.ts';
import type { FromClients, ToClients } from './ipc.ts';
import { sidecarNode } from './node-ids.ts';

interface Watch {
  id: number;
  kind: ShortType;
  marker: Buffer;
  pending: Set<AdsClient>;
  times: number[];
}

const clients: AdsClient[] = [];
const watches = new Map<number, Watch>();
/** Clients that have been fully synced once (checked on their own ACKs only: O(1) per ACK overall). */
const synced = new Set<AdsClient>();

function send(msg: FromClients): void {
  if (process.connected) process.send?.(msg);
}

let progressTimer: NodeJS.Timeout | undefined;
let firstReadyAt: number | undefined;

function onAck(
  client: AdsClient,
  type: ShortType,
  resources: readonly { value: Buffer }[],
  at: number,
): void {
  for (const w of watches.values()) {
    if (w.kind !== type || !w.pending.has(client)) continue;
    if (!resources.some((r) => r.value.includes(w.marker))) continue;
    w.pending.delete(client);
    w.times.push(at);
    if (w.pending.size === 0) {
      watches.delete(w.id);
      send({ type: 'done', id: w.id, times: w.times });
    }
  }
  if (!synced.has(client) && client.ready()) {
    synced.add(client);
    firstReadyAt ??= at;
    if (synced.size === clients.length) send({ type: 'ready', at, firstAt: firstReadyAt });
  }
}

function start(target: string, first: number, count: number, namespaces: number): void {
  const Ads = loadAdsPackage().AggregatedDiscoveryService;
  for (let k = first; k < first + count; k++) {
    const stub = new Ads(target, grpc.credentials.createInsecure(), {
      // One connection per proxy: without a local pool, channels to one target share a subchannel.
      'grpc.use_local_subchannel_pool': 1,
      // A sidecar's full CDS at N=1000 is several MiB; grpc-js's default cap is 4 MiB.
      'grpc.max_receive_message_length': -1,
    });
    const open = () =>
      (
        stub as unknown as {
          StreamAggregatedResources(): grpc.ClientDuplexStream<unknown, unknown>;
        }
      ).StreamAggregatedResources();
    const client = new AdsClient(k, sidecarNode(k, namespaces), open, onAck);
    clients.push(client);
    client.start();
  }
  progressTimer = setInterval(() => {
    send({
      type: 'progress',
      connected: clients.filter((c) => c.state.get('CDS')?.acked).length,
      ready: synced.size,
      retried: clients.reduce((n, c) => n + c.failures, 0),
      lastError: clients.find((c) => c.error)?.error,
      firstReadyAt,
    });
  }, 1000);
  progressTimer.unref();
}

function watch(id: number, kind: ShortType, marker: string, clusters: string[] | undefined): void {
  const pending = new Set(
    clients.filter(
      (c) =>
        !c.closed && (kind !== 'EDS' || !clusters || clusters.some((n) => c.edsClusters.has(n))),
    ),
  );
  // Matched as an encoded protobuf string (length byte + bytes), so "10.250.0.1" never matches inside "10.250.0.12".
  const text = Buffer.from(marker);
  if (text.length > 127) throw new Error(`watch marker longer than 127 bytes: ${marker}`);
  const w: Watch = {
    id,
    kind,
    marker: Buffer.concat([Buffer.from([text.length]), text]),
    pending,
    times: [],
  };
  send({ type: 'armed', id, watching: pending.size });
  if (pending.size === 0) send({ type: 'done', id, times: [] });
  else watches.set(id, w);
}

// Load the protos before the driver starts its clock: a real Envoy has them compiled in.
loadAdsPackage();
envoyRoot();

process.on('message', (msg: ToClients) => {
  if (msg.type === 'start') start(msg.target, msg.first, msg.count, msg.namespaces);
  else if (msg.type === 'watch') watch(msg.id, msg.kind, msg.marker, msg.clusters);
  else if (msg.type === 'stop') {
    clearInterval(progressTimer);
    for (const c of clients) c.close();
    const usage = process.resourceUsage();
    send({
      type: 'stopped',
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      maxRssMiB: usage.maxRSS / 1024,
    });
    process.disconnect?.();
    setTimeout(() => process.exit(0), 100).unref();
  }
});

send({ type: 'hello' });
