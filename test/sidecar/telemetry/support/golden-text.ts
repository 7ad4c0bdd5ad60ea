// Text goldens (Prometheus exposition is text, not YAML): test/sidecar/telemetry/golden/<name>.
// UPDATE_GOLDEN=1 rewrites them, as the shared YAML helper does.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden');

export function compareGoldenText(name: string, text: string): void {
  const path = join(ROOT, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(
      `golden ${path} does not exist: create it with UPDATE_GOLDEN=1, then review it by eye`,
    );
  }
  expect(text, `golden ${name} differs (UPDATE_GOLDEN=1 rewrites it on purpose)`).toBe(
    readFileSync(path, 'utf8'),
  );
}
