// Collects compile problems as `field.path: message` so a whole resource set can
// be reported at once (Envoy Gateway joins all errors, not just the first).

export class Issues {
  readonly lines: string[];
  /**
   * Fields the proxy accepts but does not act on, same line format: reported (the
   * data plane's onConfigWarning) without rejecting the resource, where a NACK would
   * take down config Istio sends every proxy for a knob Petrel lacks.
   */
  readonly warnings: string[];
  readonly path: string;

  constructor(path = '', lines: string[] = [], warnings: string[] = []) {
    this.path = path;
    this.lines = lines;
    this.warnings = warnings;
  }

  /** A collector whose paths are nested under `segment` (`routes`, then `[2]`). */
  at(segment: string | number): Issues {
    return new Issues(join(this.path, segment), this.lines, this.warnings);
  }

  add(message: string, field?: string | number): void {
    this.lines.push(this.#line(message, field));
  }

  warn(message: string, field?: string | number): void {
    this.warnings.push(this.#line(message, field));
  }

  #line(message: string, field: string | number | undefined): string {
    const path = field === undefined ? this.path : join(this.path, field);
    return path === '' ? message : `${path}: ${message}`;
  }

  get count(): number {
    return this.lines.length;
  }
}

function join(prefix: string, segment: string | number): string {
  if (typeof segment === 'number') return `${prefix}[${segment}]`;
  if (prefix === '' || segment.startsWith('[')) return prefix + segment;
  return `${prefix}.${segment}`;
}

/** Turns per-resource issues into the contract's `name: field.path: message` lines. */
export function resourceLines(name: string, lines: readonly string[]): string[] {
  return lines.map((l) => `${name}: ${l}`);
}
