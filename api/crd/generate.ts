// `npm run crds` (node api/crd/generate.ts): writes the CRDs generated from the
// zod schemas to crds/crd-all.gen.yaml and to the base chart, which installs them.
// `--check` writes nothing and exits 1 when a committed copy is stale (for CI).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdYaml } from './crds.ts';
import { CrdError } from './errors.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the generated YAML lives: the plain manifest and the base chart's copy. */
export const CRD_FILES = ['crds/crd-all.gen.yaml', 'charts/base/files/crd-all.gen.yaml'].map((p) =>
  join(REPO, p),
);

/** The files among CRD_FILES whose content differs from `yaml` (missing counts as stale). */
export function staleFiles(yaml: string): string[] {
  return CRD_FILES.filter((file) => {
    try {
      return readFileSync(file, 'utf8') !== yaml;
    } catch {
      return true;
    }
  });
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(
      `generate: unknown argument ${unknown[0]}; usage: node api/crd/generate.ts [--check]`,
    );
    return 2;
  }
  try {
    const yaml = renderCrdYaml();
    const stale = staleFiles(yaml);
    if (check) {
      if (stale.length === 0) return 0;
      throw new CrdError(
        'PETREL_CRD_STALE',
        `${stale.map((f) => relative(REPO, f)).join(', ')}: out of date with api/istio; run npm run crds`,
      );
    }
    for (const file of stale) writeFileSync(file, yaml);
    console.log(
      `generate: ${stale.length === 0 ? 'CRDs already up to date' : `wrote ${stale.map((f) => relative(REPO, f)).join(', ')}`}`,
    );
    return 0;
  } catch (err) {
    const code = err instanceof CrdError ? `${err.code}: ` : '';
    console.error(`generate: ${code}${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
