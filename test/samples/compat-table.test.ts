// The README's Istio compatibility table is true: it equals the table computed from
// the schemas and api/istio/unsupported.ts (support/compat.ts), which is what
// validation warns about, and it leaves no unsupported field out.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNSUPPORTED_FIELDS } from '../../api/istio/unsupported.ts';
import { compatRows, readmeTable, renderTable, withTable } from './support/compat.ts';

const README = new URL('../../README.md', import.meta.url);

describe('README Istio compatibility table', () => {
  const rows = compatRows();

  it('matches what the code supports', () => {
    const readme = readFileSync(README, 'utf8');
    const table = renderTable(rows);
    if (process.env.UPDATE_README === '1') writeFileSync(README, withTable(readme, table));
    const current = readmeTable(readFileSync(README, 'utf8'));
    expect(current, 'README has no compatibility table markers').toBeDefined();
    expect(
      current,
      'the README table is out of date: UPDATE_README=1 npx vitest run test/samples/compat-table.test.ts',
    ).toBe(table);
  });

  it('covers every kind and every unsupported field', () => {
    const kinds = new Set(rows.map((r) => r.kind));
    for (const k of [
      'VirtualService',
      'DestinationRule',
      'Gateway',
      'ServiceEntry',
      'Sidecar',
      'PeerAuthentication',
    ])
      expect(kinds).toContain(k);
    for (const [kind, paths] of Object.entries(UNSUPPORTED_FIELDS)) {
      for (const p of paths) {
        const bare = (f: string) => f.replaceAll('[]', '');
        const field = bare(p.replace(/=.*$/, '').replace(/^spec\./, ''));
        const covered = rows.some(
          (r) =>
            r.kind === kind &&
            r.status !== 'yes' &&
            (r.field === 'spec' ||
              field === bare(r.field) ||
              field.startsWith(`${bare(r.field)}.`)),
        );
        expect(covered, `${kind} ${p}`).toBe(true);
      }
    }
  });

  it('marks the Sidecar fields petrel local relies on as supported', () => {
    const status = (field: string) =>
      rows.find((r) => r.kind === 'Sidecar' && r.field === field)?.status;
    expect(status('ingress[].port')).toBe('yes');
    expect(status('ingress[].defaultEndpoint')).toBe('yes');
    expect(status('ingress[].captureMode')).toBe('yes');
    expect(status('egress[].port')).toBe('no');
  });
});
