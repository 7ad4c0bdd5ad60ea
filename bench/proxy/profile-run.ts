// The profile phase: a fresh Petrel proxy (Gateway `single`) and a fresh minimal
// pass-through, each under --cpu-prof, warmed up, then driven at their highest
// rate by wrk; on SIGTERM they exit and Node writes the profile.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { maxRate } from './load.ts';
import type { Tools } from './load.ts';
import { startPetrelProxy } from './mesh.ts';
import type { PetrelProxyOptions } from './mesh.ts';
import { startNodePeer } from './peers.ts';
import { profileReport } from './profile.ts';
import type { Profiled } from './profile.ts';
import type { Placement, Running } from './processes.ts';

export interface ProfileRunOptions {
  tools: Tools;
  load: Placement;
  proxy: Placement;
  xds: string;
  ports: PetrelProxyOptions['ports'];
  flags: Set<string>;
  /** Tracing and Node flags as the measured Petrel proxies had them. */
  tracing: Pick<PetrelProxyOptions, 'tracingEndpoint' | 'tracingSampling' | 'nodeFlags'>;
  /** The pass-through's port and its backend; skipped when undefined. */
  passthrough?: { port: number; backendPort: number };
  seconds: number;
  maxConnections: number;
  dir: string;
  log: (line: string) => void;
}

async function profiled(
  label: string,
  dir: string,
  port: number,
  start: (flags: string[]) => Promise<Running>,
  o: ProfileRunOptions,
): Promise<Profiled> {
  mkdirSync(dir, { recursive: true });
  const proc = await start(['--cpu-prof', '--cpu-prof-dir', dir]);
  let r;
  try {
    const url = `http://127.0.0.1:${port}/`;
    await maxRate(o.tools, o.load, url, { seconds: 3, connections: o.maxConnections });
    r = await maxRate(o.tools, o.load, url, { seconds: o.seconds, connections: o.maxConnections });
    o.log(`profile ${label}: ${r.rps.toFixed(0)} rps under --cpu-prof (${r.errors} errors)`);
  } finally {
    await proc.stop(20_000);
  }
  o.log(`profiled ${label} exited (${await proc.done})`);
  return { label, dir, requests: r.requests, rps: r.rps };
}

export async function runProfile(o: ProfileRunOptions): Promise<string> {
  const petrel = await profiled(
    'Petrel',
    join(o.dir, 'petrel'),
    o.ports.gateway,
    (nodeFlags) =>
      startPetrelProxy(
        {
          name: 'single',
          ports: o.ports,
          xds: o.xds,
          place: o.proxy,
          ...o.tracing,
          nodeFlags: [...(o.tracing.nodeFlags ?? []), ...nodeFlags],
        },
        o.flags,
      ),
    o,
  );
  const pt = o.passthrough;
  const baseline = pt
    ? await profiled(
        'pass-through',
        join(o.dir, 'passthrough'),
        pt.port,
        (nodeFlags) =>
          startNodePeer(
            'passthrough (profiled)',
            'passthrough.ts',
            pt.port,
            pt.backendPort,
            o.proxy,
            nodeFlags,
          ),
        o,
      )
    : undefined;
  // The window: the measured run and the exit right after it.
  return profileReport(petrel, baseline, o.seconds + 1);
}
