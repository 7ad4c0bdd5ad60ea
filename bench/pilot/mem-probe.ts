// Bench-only memory probe, preloaded into the pilot under test with
// `node --expose-gc --import bench/pilot/mem-probe.ts` (run.ts `--mem DIR`), so
// no debugging hook lives in product code. On SIGUSR2 it writes
// DIR/probe-<n>.json: process.memoryUsage() as found, then again after a full
// GC (what is retained rather than garbage not collected yet), and with
// PETREL_BENCH_HEAPSNAP=1 a heap snapshot DIR/probe-<n>.heapsnapshot for
// `node bench/pilot/heap-summary.ts`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

export interface MemoryProbe {
  /** process.memoryUsage() when the signal came, bytes. */
  before: NodeJS.MemoryUsage;
  /** … after global.gc() (undefined without --expose-gc). */
  afterGc?: NodeJS.MemoryUsage;
  /** V8 heap spaces after the GC: space → used bytes. */
  spaces: Record<string, number>;
  snapshot?: string;
}

const dir = process.env.PETREL_BENCH_MEM_DIR;
let seq = 0;

if (dir) {
  process.on('SIGUSR2', () => {
    const n = ++seq;
    const probe: MemoryProbe = { before: process.memoryUsage(), spaces: {} };
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      probe.afterGc = process.memoryUsage();
    }
    for (const s of getHeapSpaceStatistics()) probe.spaces[s.space_name] = s.space_used_size;
    if (process.env.PETREL_BENCH_HEAPSNAP === '1')
      probe.snapshot = writeHeapSnapshot(join(dir, `probe-${n}.heapsnapshot`));
    // Written last: the driver waits for this file.
    writeFileSync(join(dir, `probe-${n}.json`), JSON.stringify(probe));
  });
}
