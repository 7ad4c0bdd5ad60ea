// What a Petrel proxy's memory is made of before it carries a request: RSS and
// V8 heap after each layer it loads, in a fresh Node process (so each line is the
// cost of that layer on top of the ones above it). Evidence for the RSS target.
//   node bench/proxy/memory.ts
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function vmHwmMiB(): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const steps: [string, () => Promise<unknown>][] = [
  ['node running TypeScript directly (type stripping loaded)', async () => undefined],
  ['@grpc/grpc-js', () => import('@grpc/grpc-js')],
  ['undici', () => import('undici')],
  ['sidecar/proxy (data path modules)', () => import('../../sidecar/proxy/data-plane.ts')],
  [
    'sidecar/agent (xDS client, admin; loads the gRPC service definition)',
    () => import('../../sidecar/agent/agent.ts'),
  ],
  [
    'Envoy protos loaded (api/envoy envoyRoot + ADS service)',
    async () => {
      const r = await import('../../api/envoy/registry.ts');
      r.preloadRegistry();
      r.adsServiceDefinition();
    },
  ],
  [
    'sidecar/telemetry (prom-client, OpenTelemetry)',
    () => import('../../sidecar/telemetry/telemetry.ts'),
  ],
  [
    'cli/commands/proxy (everything `petrel proxy` imports)',
    () => import('../../cli/commands/proxy.ts'),
  ],
];

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  '| after loading | RSS MiB | VmHWM MiB | V8 heap used MiB | external + array buffers MiB |',
);
console.log('|---|---|---|---|---|');
// This file is TypeScript, so Node's type stripping is loaded already; a plain
// script in a child shows what that costs.
const plain = execFileSync(
  process.execPath,
  ['-e', 'const m=process.memoryUsage();console.log(JSON.stringify(m))'],
  { encoding: 'utf8' },
);
const pm = JSON.parse(plain) as NodeJS.MemoryUsage;
console.log(
  `| node running plain JavaScript (no type stripping) | ${mib(pm.rss)} | — | ${mib(pm.heapUsed)} | ${mib(pm.external + pm.arrayBuffers)} |`,
);
for (const [name, load] of steps) {
  await load();
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  console.log(
    `| ${name} | ${mib(m.rss)} | ${vmHwmMiB().toFixed(1)} | ${mib(m.heapUsed)} | ${mib(m.external + m.arrayBuffers)} |`,
  );
}
