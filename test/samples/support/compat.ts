// The Istio compatibility table of the README, computed from what the code says:
// every field of every accepted kind's schema (api/istio/schemas.ts) down to two
// levels under `spec`, marked "no" when api/istio/unsupported.ts lists it (or its
// parent), "partial" when it lists something inside it or some of its values, and
// "yes" otherwise. The README's table must equal this; UPDATE_README=1 rewrites it.
import { SPEC_SCHEMAS } from '../../../api/istio/schemas.ts';
import { UNSUPPORTED_FIELDS, UNSUPPORTED_KINDS } from '../../../api/istio/unsupported.ts';

export interface CompatRow {
  kind: string;
  field: string;
  status: 'yes' | 'partial' | 'no';
  notes: string;
}

type Def = { type: string; [k: string]: any };
const def = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Unwraps optional/default/nullable/pipe/lazy wrappers down to the value's own schema. */
function bare(s: unknown): unknown {
  for (let i = 0; i < 20; i++) {
    const d = def(s);
    if (
      ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(
        d.type,
      )
    )
      s = d.innerType;
    else if (d.type === 'pipe') s = d.in;
    else if (d.type === 'lazy') s = d.getter();
    else return s;
  }
  return s;
}

/** The object schema a field holds (through arrays and maps), with the path suffix to reach it. */
function objectBelow(s: unknown): { shape: Record<string, unknown>; suffix: string } | undefined {
  let suffix = '';
  let cur = bare(s);
  for (let i = 0; i < 5; i++) {
    const d = def(cur);
    if (d.type === 'object') return { shape: d.shape, suffix };
    if (d.type === 'array') {
      suffix += '[]';
      cur = bare(d.element);
    } else if (d.type === 'record') {
      suffix += '.*';
      cur = bare(d.valueType);
    } else return undefined;
  }
  return undefined;
}

/** Field paths in UNSUPPORTED_FIELDS syntax: `spec.http[].match`, `spec.servers[].tls.mode`. */
function fields(
  shape: Record<string, unknown>,
  prefix: string,
  depth: number,
  out: string[],
): void {
  for (const [name, schema] of Object.entries(shape)) {
    const path = `${prefix}.${name}`;
    const below = objectBelow(schema);
    out.push(below ? `${path}${below.suffix}` : path);
    if (below && depth > 1) fields(below.shape, `${path}${below.suffix}`, depth - 1, out);
  }
}

const strip = (p: string) => p.replace(/=.*$/, '');

export function compatRows(): CompatRow[] {
  const rows: CompatRow[] = [];
  for (const kind of Object.keys(SPEC_SCHEMAS)) {
    if (UNSUPPORTED_KINDS[kind]) {
      rows.push({ kind, field: 'spec', status: 'no', notes: UNSUPPORTED_KINDS[kind]! });
      continue;
    }
    const top = objectBelow(SPEC_SCHEMAS[kind]);
    const unsupported = UNSUPPORTED_FIELDS[kind] ?? [];
    if (!top) {
      // A kind whose spec is not described field by field yet: one row for all of it.
      const notes = unsupported
        .map((u) => `\`${u.replace(/^spec\./, '').replace(/=.*$/, '')}\``)
        .join(', ');
      rows.push({
        kind,
        field: 'spec',
        status: unsupported.length ? 'partial' : 'yes',
        notes: notes ? `not: ${notes}` : '',
      });
      continue;
    }
    const paths: string[] = [];
    fields(top.shape, 'spec', 2, paths);
    for (const path of paths) {
      const own = unsupported.find(
        (u) =>
          !u.includes('=') && (path === u || path.startsWith(`${u}.`) || path.startsWith(`${u}[]`)),
      );
      const inside = unsupported.filter((u) =>
        strip(u) === path
          ? u.includes('=')
          : strip(u).startsWith(`${path}.`) || strip(u).startsWith(`${path}[]`),
      );
      const status = own ? 'no' : inside.length ? 'partial' : 'yes';
      const notes = own
        ? ''
        : inside
            .map((u) => {
              const rel =
                u.slice(path.length).replace(/^[.[\]]+/, '') || u.slice(u.lastIndexOf('.') + 1);
              const [field, values] = rel.split('=');
              // A `|` would end the Markdown table cell.
              return values
                ? `\`${field}\` ${values
                    .split('|')
                    .filter((v) => v === v.toUpperCase())
                    .join(', ')}`
                : `\`${field}\``;
            })
            .join(', ');
      rows.push({
        kind,
        field: path.replace(/^spec\./, ''),
        status,
        notes: notes ? `not: ${notes}` : '',
      });
    }
  }
  return rows;
}

export const BEGIN =
  '<!-- compat-table:begin (generated: UPDATE_README=1 npx vitest run test/samples/compat-table.test.ts) -->';
export const END = '<!-- compat-table:end -->';

export function renderTable(rows: readonly CompatRow[]): string {
  const mark = { yes: '✅ yes', partial: '🟡 partial', no: '❌ no' };
  const lines = ['| kind | field (under `spec`) | supported | notes |', '|---|---|---|---|'];
  for (const r of rows)
    lines.push(`| ${r.kind} | \`${r.field}\` | ${mark[r.status]} | ${r.notes} |`);
  return lines.join('\n');
}

/** The table rows as the README has them (between the markers). */
export function readmeTable(readme: string): string | undefined {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) return undefined;
  return readme.slice(a + BEGIN.length, b).trim();
}

export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  return `${readme.slice(0, a + BEGIN.length)}\n${table}\n${readme.slice(b)}`;
}
