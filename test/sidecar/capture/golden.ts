// Raw-text golden files for the capture rules, kept beside these tests in
// Istio's own .golden form (iptables-restore input as it is fed to the
// command) so they diff directly against istio/tools/istio-iptables testdata.
// test/support/golden.ts serialises values as YAML, which would only wrap
// this text in a block scalar. Same convention: UPDATE_GOLDEN=1 rewrites.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'golden');

export function compareGoldenText(name: string, text: string): void {
  const path = join(DIR, `${name}.golden`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(
      `golden file ${relative(process.cwd(), path)} does not exist: create it with UPDATE_GOLDEN=1 npx vitest run <this test file>, then review it by eye`,
    );
  }
  expect(text, `golden ${name} differs (UPDATE_GOLDEN=1 rewrites it on purpose)`).toBe(
    readFileSync(path, 'utf8'),
  );
}
