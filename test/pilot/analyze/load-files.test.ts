// Reading files for analysis: pilot's admission per document, problems that
// name file and line, objects that remember the line of each field.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputBuilder, addPaths, addText } from '../../../pilot/analyze/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'petrel-analyze-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const VS = (name: string, host = 'reviews') =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: ${name} }\nspec:\n  hosts: [${host}]\n  http:\n    - route:\n        - destination: { host: ${host} }\n`;

describe('addText', () => {
  it('keeps the good documents of a file whose other document does not parse, and says where', () => {
    const b = new InputBuilder();
    addText(b, `${VS('good')}---\nmetadata: {}\nmetadata: {}\n`, 'x.yaml');
    expect(
      b.store
        .snapshot()
        .list('VirtualService')
        .map((o) => o.metadata.name),
    ).toEqual(['good']);
    expect(b.problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'PETREL_CONFIG_YAML',
        file: 'x.yaml',
        line: 11,
      }),
    ]);
  });

  it('reports a kind Petrel does not accept as a file problem, not an object', () => {
    const b = new InputBuilder();
    addText(b, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: reviews }\n', 'd.yaml');
    expect(b.problems).toEqual([
      expect.objectContaining({
        code: 'PETREL_CONFIG_UNKNOWN_KIND',
        file: 'd.yaml',
        line: 2,
        resource: undefined,
      }),
    ]);
  });

  it('gives namespaced objects without a namespace the default one, as kubectl does', () => {
    const b = new InputBuilder();
    addText(b, VS('reviews'), 'x.yaml');
    expect(b.store.snapshot().get('VirtualService', 'default', 'reviews')).toBeDefined();
  });

  it('finds the line of a field inside an item of a List', () => {
    const b = new InputBuilder();
    const list = `apiVersion: v1\nkind: List\nitems:\n${VS('a')
      .split('\n')
      .filter(Boolean)
      .map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`))
      .join('\n')}\n`;
    addText(b, list, 'list.yaml');
    const origin = b.origins.get('VirtualService/default/a')!;
    expect(origin.line).toBe(4);
    expect(origin.lineOf!(['spec', 'http', 0, 'route', 0, 'destination', 'host'])).toBe(11);
    // A field that is not there points at its nearest parent.
    expect(origin.lineOf!(['spec', 'http', 0, 'timeout'])).toBe(10);
  });

  it('rejects an invalid object with its field and line, keeping its name for the message', () => {
    const b = new InputBuilder();
    addText(
      b,
      VS('bad').replace(
        'destination: { host: reviews }',
        'destination: { host: reviews }\n          weight: 101',
      ),
      'bad.yaml',
    );
    expect(b.store.snapshot().list('VirtualService')).toEqual([]);
    expect(b.problems).toEqual([
      {
        severity: 'error',
        code: 'PETREL_CONFIG_INVALID',
        detail: 'spec.http[0].route[0].weight: must be 0..100',
        resource: {
          kind: 'VirtualService',
          namespace: 'default',
          name: 'bad',
          file: 'bad.yaml',
          line: 9,
        },
        file: 'bad.yaml',
        line: 9,
      },
    ]);
  });
});

describe('addPaths', () => {
  it('reads a directory recursively as --config-dir does, skipping dot files', async () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.yaml'), VS('a'));
    writeFileSync(join(dir, 'sub', 'b.yml'), VS('b'));
    writeFileSync(join(dir, '.swap.yaml'), VS('swap'));
    writeFileSync(join(dir, 'notes.txt'), 'not yaml');
    const b = new InputBuilder();
    await addPaths(b, [dir]);
    expect(
      b.store
        .snapshot()
        .list('VirtualService')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(b.origins.get('VirtualService/default/b')?.file).toBe(join(dir, 'sub', 'b.yml'));
  });

  it('reports a path that does not exist as an unreadable file', async () => {
    const b = new InputBuilder();
    await addPaths(b, [join(dir, 'missing.yaml')]);
    expect(b.problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'PETREL_CONFIG_IO',
        file: join(dir, 'missing.yaml'),
      }),
    ]);
  });

  it('lets a later layer replace an object instead of clashing with it', async () => {
    const b = new InputBuilder();
    addText(b, VS('r', 'reviews'), 'cluster');
    b.newLayer();
    addText(b, VS('r', 'ratings'), 'edit.yaml');
    expect(b.problems).toEqual([]);
    const spec = b.store.snapshot().get('VirtualService', 'default', 'r')!.spec as {
      hosts: string[];
    };
    expect(spec.hosts).toEqual(['ratings']);
  });
});
