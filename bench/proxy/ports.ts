// Listening ports for the benchmark's servers, all chosen before any starts.
// Picking them one at a time with port 0 is not enough here: a port picked for a
// proxy that binds later (a Gateway port written into pilot's config) is free
// until then and may be handed out again, and ports in the kernel's ephemeral
// range may be taken by the client's outgoing connections meanwhile. So: distinct
// ports below the ephemeral range, each checked bindable on 0.0.0.0.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function ephemeralLow(): number {
  try {
    return (
      Number(
        readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
      ) || 32768
    );
  } catch {
    return 32768;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

export async function pickPorts<K extends string>(names: readonly K[]): Promise<Record<K, number>> {
  const high = Math.min(ephemeralLow(), 65536) - 1;
  const low = Math.max(1024, high - 12000);
  const out = {} as Record<K, number>;
  const used = new Set<number>();
  for (const name of names) {
    for (let tries = 0; ; tries++) {
      if (tries > 200) throw new Error(`no free port below ${high + 1} for ${name}`);
      const port = low + Math.floor(Math.random() * (high - low));
      if (used.has(port) || !(await bindable(port))) continue;
      used.add(port);
      out[name] = port;
      break;
    }
  }
  return out;
}
