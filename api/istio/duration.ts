// Istio's duration fields accept Go duration strings ("30ms", "1.5s", "1m", "2h45m"),
// which is what users write in Istio YAML; Envoy wants proto3-JSON "Ns" strings.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds of a Go duration string, or undefined when it does not parse. */
export function parseDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched++;
  }
  return matched > 0 ? total : undefined;
}

/** Envoy's proto3-JSON Duration for a number of milliseconds: 1500 → "1.500s". */
export function envoyDuration(ms: number): string {
  const nanos = Math.round(ms * 1e6);
  const seconds = Math.trunc(nanos / 1e9);
  const rest = nanos % 1e9;
  return rest === 0
    ? `${seconds}s`
    : `${seconds}.${String(rest).padStart(9, '0').replace(/0+$/, '')}s`;
}
