// Column-aligned tables as istioctl prints them with Go's tabwriter: each
// column as wide as its widest cell plus padding, no trailing spaces.

export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  padding = 3,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + padding)))
      .join('')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** Plain code-unit order, as Go's sort of strings (istioctl's): upper case before lower case. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
