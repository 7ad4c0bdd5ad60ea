// The Prometheus text exposition format (version 0.0.4), read and written: enough to
// merge several proxies' /stats/prometheus into one valid exposition (one HELP and
// TYPE per family) and to read counters and histograms for the graph. Written here
// because the one npm parser for this format drops histogram labels, sums and counts.
// Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export interface Sample {
  /** The sample's metric name (`x_bucket`, `x_sum`, `x_count` for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info'];

function unescapeLabel(v: string): string {
  return v.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** `name{a="b",c="d"} 1 [timestamp]` → a Sample; undefined for a line that is not one. */
export function parseSample(line: string): Sample | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
  if (!m) return undefined;
  const labels: Record<string, string> = {};
  let i = m[0].length;
  if (m[2]) {
    const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
    for (;;) {
      if (line[i] === '}') {
        i++;
        break;
      }
      re.lastIndex = i;
      const l = re.exec(line);
      if (!l) return undefined;
      labels[l[1]!] = unescapeLabel(l[2]!);
      i = re.lastIndex;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (!rest[0]) return undefined;
  const value = parseValue(rest[0]);
  if (Number.isNaN(value) && rest[0] !== 'NaN') return undefined;
  return { name: m[1]!, labels, value };
}

/** The family a sample belongs to, given the families declared so far. */
function familyOf(sampleName: string, declared: Map<string, MetricFamily>): string {
  if (declared.has(sampleName)) return sampleName;
  for (const s of SUFFIXES)
    if (sampleName.endsWith(s) && declared.has(sampleName.slice(0, -s.length)))
      return sampleName.slice(0, -s.length);
  return sampleName;
}

export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const get = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: undefined, samples: [] }));
    return f;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) continue;
      const f = get(m[2]!);
      if (m[1] === 'TYPE') f.type = m[3]!.trim() || 'untyped';
      else f.help = m[3]!.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      continue;
    }
    const s = parseSample(line);
    if (s) get(familyOf(s.name, families)).samples.push(s);
  }
  return [...families.values()];
}

function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function formatSample(s: Sample): string {
  const labels = Object.entries(s.labels);
  const text = labels.length
    ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`
    : '';
  return `${s.name}${text} ${formatValue(s.value)}`;
}

export function renderExposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (f.help !== undefined)
      out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(formatSample(s));
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
