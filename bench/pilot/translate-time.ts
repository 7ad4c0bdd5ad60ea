// In-process micro-measure of translation: the config dir is loaded once into a
// store (as pilot's file source does), then, per run, a fresh PushContext is
// built and one sidecar's full LDS/RDS/CDS/EDS generated and encoded. Phases are
// timed apart so the table says where a push's time goes: model build,
// generation (including the PushContext's lazily filled caches), encoding.
import { encodeResource } from '../../api/envoy/registry.ts';
import { FileConfigSource } from '../../pilot/config/file-source.ts';
import { MemoryConfigStore } from '../../pilot/config/memory-store.ts';
import type { ConfigSnapshot } from '../../pilot/config/types.ts';
import { buildPushContext } from '../../pilot/model/push-context.ts';
import { parseProxy } from '../../pilot/model/proxy.ts';
import type { Proxy } from '../../pilot/model/proxy.ts';
import type { PushContext } from '../../pilot/model/types.ts';
import { meshGenerators } from '../../pilot/translate/index.ts';
import type { GeneratedResource } from '../../pilot/translate/types.ts';
import { median } from '../support/stats.ts';
import { sidecarNode } from './node-ids.ts';

export interface TranslateResult {
  loadMs: number;
  /** Medians over the runs, in ms. */
  buildMs: number;
  /** First proxy on a fresh PushContext (pays for the lazy caches). */
  generateFirstMs: number;
  /** A second proxy in another namespace on the same PushContext (what each further proxy costs). */
  generateNextMs: number;
  encodeMs: number;
  totalMs: number;
  /** CPU time of the total (this process, all threads: includes GC helpers), ms; robust where wall time is not (shared cores). */
  totalCpuMs: number;
  runs: number;
  counts: Record<string, number>;
  bytes: number;
  diagnostics: string[];
}

const SHORT: Record<string, string> = {
  'type.googleapis.com/envoy.config.listener.v3.Listener': 'LDS',
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration': 'RDS',
  'type.googleapis.com/envoy.config.cluster.v3.Cluster': 'CDS',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment': 'EDS',
};

export async function loadSnapshot(
  dir: string,
): Promise<{ snapshot: ConfigSnapshot; diagnostics: string[] }> {
  const store = new MemoryConfigStore();
  const source = new FileConfigSource({ dir, store, watch: false, rescanMs: 0 });
  const diagnostics: string[] = [];
  source.onDiagnostic((d) => diagnostics.push(d.message));
  await source.start();
  await source.stop();
  return { snapshot: store.snapshot(), diagnostics };
}

function generateAll(push: PushContext, proxy: Proxy): Map<string, GeneratedResource[]> {
  const out = new Map<string, GeneratedResource[]>();
  // Wildcard for every type, as the ADS server asks once the proxy subscribed
  // to every route config and EDS cluster it was given.
  for (const g of meshGenerators()) out.set(g.typeUrl, g.generate(push, proxy, []));
  return out;
}

export async function measureTranslation(
  dir: string,
  namespaces: number,
  runs: number,
): Promise<TranslateResult> {
  const t0 = performance.now();
  const { snapshot, diagnostics } = await loadSnapshot(dir);
  const loadMs = performance.now() - t0;
  const first = parseProxy(sidecarNode(0, namespaces));
  const next = parseProxy(sidecarNode(1, namespaces));
  const build: number[] = [];
  const genFirst: number[] = [];
  const genNext: number[] = [];
  const encode: number[] = [];
  const total: number[] = [];
  const totalCpu: number[] = [];
  const counts: Record<string, number> = {};
  let bytes = 0;
  // One untimed run first: loads the Envoy protos (once per process) and warms the JIT.
  for (const list of generateAll(buildPushContext(snapshot), first).values())
    for (const { resource } of list) encodeResource(resource);
  for (let r = 0; r < runs; r++) {
    const cpu0 = process.cpuUsage();
    const a = performance.now();
    const push = buildPushContext(snapshot, { version: `bench-${r}` });
    const b = performance.now();
    const generated = generateAll(push, first);
    const c = performance.now();
    bytes = 0;
    for (const [typeUrl, list] of generated) {
      counts[SHORT[typeUrl] ?? typeUrl] = list.length;
      for (const { resource } of list) bytes += encodeResource(resource).value.length;
    }
    const d = performance.now();
    const cpu = process.cpuUsage(cpu0);
    generateAll(push, next);
    const e = performance.now();
    build.push(b - a);
    genFirst.push(c - b);
    encode.push(d - c);
    total.push(d - a);
    totalCpu.push((cpu.user + cpu.system) / 1000);
    genNext.push(e - d);
  }
  return {
    loadMs,
    buildMs: median(build),
    generateFirstMs: median(genFirst),
    generateNextMs: median(genNext),
    encodeMs: median(encode),
    totalMs: median(total),
    totalCpuMs: median(totalCpu),
    runs,
    counts,
    bytes,
    diagnostics: [
      ...diagnostics,
      ...(buildPushContext(snapshot).diagnostics ?? []).map((d) => d.message),
    ],
  };
}
