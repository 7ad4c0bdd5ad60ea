// Which iptables to drive: the nft or the legacy variant. Rules written by one
// are invisible to the other, and a namespace with both gets surprising
// results, so — as Istio does — use the variant that already holds rules in
// this namespace (nft first), else whatever plain `iptables` is. One variant
// serves both IPv4 and IPv6: never mixed.
import { CaptureError } from './errors.ts';
import type { Dependencies } from './dependencies.ts';
import type { Family } from './rule-set.ts';

export type Variant = 'nft' | 'legacy';

export interface Backend {
  variant: Variant;
  /** Binary name prefix per family, e.g. `iptables-nft` / `ip6tables-nft`, or plain `iptables`. */
  bin(family: Family): string;
  save(family: Family): string;
  restore(family: Family): string;
  /** How it was chosen, for the log line. */
  reason: string;
}

function backend(variant: Variant, suffixed: boolean, reason: string): Backend {
  const bin = (family: Family): string =>
    `${family === 4 ? 'iptables' : 'ip6tables'}${suffixed ? `-${variant}` : ''}`;
  return {
    variant,
    bin,
    save: (f) => `${bin(f)}-save`,
    restore: (f) => `${bin(f)}-restore`,
    reason,
  };
}

/** Rules or user chains in save output (a table listed with only its built-in policies does not count). */
export function saveHasRules(text: string): boolean {
  return text
    .split('\n')
    .some(
      (l) =>
        l.startsWith('-A ') ||
        (l.startsWith(':') && !/^:(PREROUTING|INPUT|OUTPUT|FORWARD|POSTROUTING) /.test(l)),
    );
}

async function variantHasRules(deps: Dependencies, variant: Variant): Promise<boolean | undefined> {
  let present = false;
  for (const cmd of [`iptables-${variant}-save`, `ip6tables-${variant}-save`]) {
    const r = await deps.run(cmd, []);
    if (r.code === 127) continue;
    present = true;
    if (r.code === 0 && saveHasRules(r.stdout)) return true;
  }
  return present ? false : undefined;
}

/** Chooses the variant; `forced` (from --iptables-backend) skips detection. */
export async function detectBackend(deps: Dependencies, forced?: Variant): Promise<Backend> {
  if (forced) {
    const r = await deps.run(`iptables-${forced}`, ['--version']);
    if (r.code !== 0)
      throw new CaptureError(
        'PETREL_CAPTURE_BACKEND',
        `iptables-${forced} is not usable: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`,
      );
    return backend(forced, true, 'chosen by --iptables-backend');
  }
  for (const variant of ['nft', 'legacy'] as const) {
    if (await variantHasRules(deps, variant))
      return backend(variant, true, `iptables-${variant} already holds rules in this namespace`);
  }
  const r = await deps.run('iptables', ['--version']);
  if (r.code !== 0) {
    throw new CaptureError(
      'PETREL_CAPTURE_BACKEND',
      r.code === 127
        ? 'no iptables binary found on PATH (install the iptables package)'
        : `iptables --version failed: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`,
    );
  }
  // "iptables v1.8.9 (nf_tables)" or "iptables v1.8.9 (legacy)"; very old legacy builds print no mode.
  const variant: Variant = r.stdout.includes('nf_tables') ? 'nft' : 'legacy';
  return backend(variant, false, `no rules yet; default iptables is ${variant}`);
}
