// The sample mesh and every walkthrough step are valid Istio that Petrel acts on in
// full (no errors, no "not acted on" warnings), the sample mesh configs read clean,
// and the README's walkthrough names every step file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ConfigObject } from '../../api/config/object.ts';
import { validateConfig } from '../../api/istio/validate.ts';
import { readMeshFile } from '../../pilot/model/mesh-file.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const files = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f));

function objects(file: string): ConfigObject[] {
  return parseAllDocuments(readFileSync(join(ROOT, file), 'utf8')).map((d) => {
    expect(d.errors, file).toEqual([]);
    return d.toJS() as ConfigObject;
  });
}

describe('samples', () => {
  for (const file of [...files('samples/mesh'), ...files('samples/walkthrough')]) {
    it(`${file} validates with no errors or warnings`, () => {
      for (const obj of objects(file)) {
        if (!/istio\.io/.test(String(obj.apiVersion))) continue;
        const r = validateConfig(obj);
        expect(r.errors, file).toEqual([]);
        expect(r.warnings, file).toEqual([]);
      }
    });
  }

  for (const file of files('samples/mesh-config')) {
    it(`${file} is a mesh config pilot reads with no warnings`, () => {
      expect(readMeshFile(join(ROOT, file)).warnings).toEqual([]);
    });
  }

  it('the README walkthrough applies every step file', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const walkthrough = readme.slice(
      readme.indexOf('## Walkthrough'),
      readme.indexOf('## Istio compatibility'),
    );
    for (const file of files('samples/walkthrough'))
      expect(walkthrough).toContain(`cp ${file} samples/mesh/`);
  });
});
