// Golden files: a value compared against YAML under test/golden/<stage>/<case>.yaml,
// keys sorted so a diff shows what changed and nothing else. UPDATE_GOLDEN=1
// rewrites the files instead of comparing (then read the diff before committing:
// a golden file is only as good as the reading of it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { expect } from 'vitest';

export const GOLDEN_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

/** Canonical YAML text of a value: mapping keys sorted, no aliases, long lines kept whole. */
export function goldenYaml(value: unknown): string {
  return stringify(value, { sortMapEntries: true, aliasDuplicateObjects: false, lineWidth: 0 });
}

export function goldenPath(name: string): string {
  return join(GOLDEN_ROOT, `${name}.yaml`);
}

/**
 * Compares `value` with test/golden/<name>.yaml (name like `translate/bookinfo.lds`).
 * A missing file fails with the command that creates it.
 */
export function compareGolden(name: string, value: unknown): void {
  const path = goldenPath(name);
  const text = goldenYaml(value);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
    return;
  }
  if (!existsSync(path)) {
    const rel = relative(process.cwd(), path);
    throw new Error(
      `golden file ${rel} does not exist: create it with UPDATE_GOLDEN=1 npx vitest run <this test file>, then review it by eye before committing`,
    );
  }
  expect(text, `golden ${name} differs (UPDATE_GOLDEN=1 rewrites it on purpose)`).toBe(
    readFileSync(path, 'utf8'),
  );
}
