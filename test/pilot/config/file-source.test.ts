import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileConfigSource } from '../../../pilot/config/file-source.ts';
import { MemoryConfigStore } from '../../../pilot/config/memory-store.ts';
import type { ConfigDiagnostic, ConfigEvent } from '../../../pilot/config/types.ts';
import { waitFor } from '../../support/kube/wait-for.ts';

const vs = (name: string, host: string, weights = [100]) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
spec:
  hosts: [${host}]
  http:
  - route:
${weights.map((w, i) => `    - destination:\n        host: ${host}\n        subset: v${i + 1}\n      weight: ${w}`).join('\n')}
`;
const dr = (name: string, host: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  namespace: bookinfo
spec:
  host: ${host}
`;

let dir: string;
let store: MemoryConfigStore;
let source: FileConfigSource;
let events: ConfigEvent[];
let diagnostics: ConfigDiagnostic[];

async function startSource(): Promise<void> {
  // rescanMs 0: every change below must arrive through fs.watch.
  source = new FileConfigSource({ dir, store, rescanMs: 0, debounceMs: 20 });
  source.onDiagnostic((d) => diagnostics.push(d));
  await source.start();
}

const hostsOf = (name: string, ns = 'default') =>
  (store.snapshot().get('VirtualService', ns, name)?.spec as { hosts?: string[] } | undefined)
    ?.hosts;

/**
 * Edits after start are written the way editors and ConfigMap mounts do it
 * (a hidden temp file renamed over the old one), so no scan can catch a
 * truncated, half-written file.
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petrel-config-'));
  store = new MemoryConfigStore();
  events = [];
  diagnostics = [];
  store.onChange((e) => events.push(e));
});

afterEach(async () => {
  await source?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('FileConfigSource', () => {
  it('loads every document of every yaml/yml file, recursively, defaulting the namespace', async () => {
    await writeFile(
      join(dir, 'mesh.yaml'),
      `${vs('reviews', 'reviews')}---\n${dr('reviews', 'reviews.bookinfo.svc.cluster.local')}`,
    );
    await mkdir(join(dir, 'nested', 'deeper'), { recursive: true });
    await writeFile(
      join(dir, 'nested', 'deeper', 'list.yml'),
      `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: ratings, namespace: bookinfo}
  spec: {ports: [{port: 9080, name: http}]}
- apiVersion: v1
  kind: Namespace
  metadata: {name: bookinfo, namespace: ignored}
`,
    );
    await writeFile(join(dir, 'notes.txt'), 'not config');
    await writeFile(join(dir, '.hidden.yaml'), 'this: [is not read');
    await startSource();

    const snap = store.snapshot();
    expect(snap.get('VirtualService', 'default', 'reviews')).toBeDefined();
    expect(snap.get('DestinationRule', 'bookinfo', 'reviews')).toBeDefined();
    expect(snap.get('Service', 'bookinfo', 'ratings')).toBeDefined();
    expect(snap.get('Namespace', undefined, 'bookinfo')?.metadata.namespace).toBeUndefined();
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(source.status().errorCount).toBe(0);
  });

  it('turns an edited file into an update event', async () => {
    await writeFile(join(dir, 'reviews.yaml'), vs('reviews', 'reviews'));
    await startSource();
    events.length = 0;

    await replaceFile(
      join(dir, 'reviews.yaml'),
      vs('reviews', 'reviews.bookinfo.svc.cluster.local'),
    );
    const update = await waitFor(() => events.find((e) => e.type === 'update'), 'an update event');
    expect(update.key).toBe('VirtualService/default/reviews');
    expect(hostsOf('reviews')).toEqual(['reviews.bookinfo.svc.cluster.local']);
    expect(events.map((e) => e.type)).toEqual(['update']);
  });

  it('keeps the last good version of every object of a file with a YAML error, and names file and line', async () => {
    const file = join(dir, 'reviews.yaml');
    await writeFile(file, `${vs('reviews', 'reviews')}---\n${vs('ratings', 'ratings')}`);
    await startSource();
    events.length = 0;

    // One good edit (ratings) and one syntax error in the same file: neither may land.
    await replaceFile(
      file,
      `${vs('reviews', 'reviews')}---\n${vs('ratings', 'ratings-changed')}---\nkind: [unclosed\n`,
    );
    const d = await waitFor(
      () => diagnostics.find((x) => x.code === 'PETREL_CONFIG_YAML'),
      'a YAML diagnostic',
    );
    expect(d.message).toMatch(new RegExp(`^${escape(file)}:(2[5-9]|3\\d): YAML: `));
    expect(d.severity).toBe('error');
    expect(hostsOf('ratings')).toEqual(['ratings']);
    expect(hostsOf('reviews')).toEqual(['reviews']);
    expect(events).toEqual([]);
    expect(source.status().origins).toEqual([
      { origin: file, diagnostics: [expect.objectContaining({ code: 'PETREL_CONFIG_YAML' })] },
    ]);

    // Fixing the file applies the pending edit and clears the status.
    await replaceFile(file, `${vs('reviews', 'reviews')}---\n${vs('ratings', 'ratings-changed')}`);
    await waitFor(() => hostsOf('ratings')?.[0] === 'ratings-changed', 'the fixed file to apply');
    expect(source.status().errorCount).toBe(0);
  });

  it('reports an invalid field with its path and line, and keeps the whole file at its last good version', async () => {
    const file = join(dir, 'reviews.yaml');
    await writeFile(file, `${dr('reviews', 'reviews')}---\n${vs('reviews', 'reviews', [50, 50])}`);
    await startSource();

    await replaceFile(
      file,
      `${dr('reviews', 'reviews-changed')}---\n${vs('reviews', 'reviews', [50, 150])}`,
    );
    const d = await waitFor(
      () => diagnostics.find((x) => x.code === 'PETREL_CONFIG_INVALID'),
      'an invalid-field diagnostic',
    );
    // The weight 150 sits on line 24 of the file: 7 lines of DestinationRule, `---`, then the VirtualService.
    expect(d.message).toBe(
      `${file}:24: virtualservice default/reviews: spec.http[0].route[1].weight: must be 0..100`,
    );
    expect(
      (store.snapshot().get('DestinationRule', 'bookinfo', 'reviews')?.spec as { host: string })
        .host,
    ).toBe('reviews');
  });

  it('deletes the objects of a deleted file', async () => {
    await writeFile(join(dir, 'a.yaml'), vs('a', 'a'));
    await writeFile(join(dir, 'b.yaml'), vs('b', 'b'));
    await startSource();
    events.length = 0;

    await unlink(join(dir, 'a.yaml'));
    const del = await waitFor(() => events.find((e) => e.type === 'delete'), 'a delete event');
    expect(del.key).toBe('VirtualService/default/a');
    expect(
      store
        .snapshot()
        .list('VirtualService')
        .map((o) => o.metadata.name),
    ).toEqual(['b']);
  });

  it('rejects a key already defined by another file, and lets it take over when the owner lets go', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    await writeFile(a, vs('reviews', 'from-a'));
    await writeFile(b, `${vs('reviews', 'from-b')}---\n${vs('other', 'other')}`);
    await startSource();

    const dup = diagnostics.find((d) => d.code === 'PETREL_CONFIG_DUPLICATE');
    expect(dup?.message).toBe(`${b}:1: virtualservice default/reviews: already defined in ${a}`);
    expect(hostsOf('reviews')).toEqual(['from-a']);
    expect(hostsOf('other')).toBeUndefined(); // the whole of b.yaml is held back

    await unlink(a);
    await waitFor(() => hostsOf('reviews')?.[0] === 'from-b', 'b.yaml to take over');
    expect(hostsOf('other')).toEqual(['other']);
    expect(source.status().errorCount).toBe(0);
  });

  it('reports the same key twice in one file', async () => {
    const file = join(dir, 'twice.yaml');
    await writeFile(file, `${vs('reviews', 'one')}---\n${vs('reviews', 'two')}`);
    await startSource();
    expect(diagnostics.map((d) => d.message)).toEqual([
      `${file}:14: virtualservice default/reviews: defined twice in this file (first at line 1)`,
    ]);
    expect(store.snapshot().list('VirtualService')).toEqual([]);
  });

  it('reports an unknown kind with file, line and kind', async () => {
    const file = join(dir, 'widget.yaml');
    await writeFile(
      file,
      `${vs('ok', 'ok')}---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n`,
    );
    await startSource();
    const d = diagnostics.find((x) => x.code === 'PETREL_CONFIG_UNKNOWN_KIND');
    expect(d?.message).toMatch(
      new RegExp(
        `^${escape(file)}:15: widget w: unknown kind Widget \\(apiVersion example.com/v1\\)`,
      ),
    );
    expect(store.snapshot().list('VirtualService')).toEqual([]);
  });

  it('fails to start on a missing directory with one line naming it', async () => {
    source = new FileConfigSource({ dir: join(dir, 'nope'), store });
    await expect(source.start()).rejects.toMatchObject({
      code: 'PETREL_CONFIG_IO',
      message: expect.stringContaining(join(dir, 'nope')),
    });
  });

  it('picks up changes by periodic rescan when not watching', async () => {
    source = new FileConfigSource({ dir, store, watch: false, rescanMs: 30 });
    await source.start();
    await writeFile(join(dir, 'late.yaml'), vs('late', 'late'));
    await waitFor(() => hostsOf('late'), 'the rescan to find late.yaml');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
