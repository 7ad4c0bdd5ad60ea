// Order statistics for benchmark samples (nearest-rank, no interpolation, so a
// reported value is one that was measured).

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** "12.3" for ms; "—" for a missing value. */
export function ms(value: number | undefined, digits = 1): string {
  return value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
}
