// No Docker engine runs on these machines, so the image cannot be built in a
// test. This lints the Dockerfile instead (parsed with dockerfile-ast, the parser
// behind VS Code's Docker support): base image, non-root user, entrypoint, the
// init container's tools, and that what the image runs is what it copies.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const dockerfile = DockerfileParser.parse(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
const instructions = dockerfile.getInstructions();
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const all = (keyword: string) => instructions.filter((i) => i.getKeyword() === keyword);
const runs = all('RUN').map((i) => args(i).join(' '));
const copied = all('COPY').flatMap((i) => args(i).slice(0, -1));
const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('Dockerfile', () => {
  it('is one stage on node:24-slim', () => {
    const froms = dockerfile.getFROMs();
    expect(froms).toHaveLength(1);
    expect(`${froms[0]!.getImageName()}:${froms[0]!.getImageTag()}`).toBe('node:24-slim');
  });

  it('runs as the non-root proxy uid 1337 (the uid iptables never captures)', () => {
    const users = all('USER');
    expect(users.length).toBeGreaterThan(0);
    const [user, group] = args(users.at(-1)!)[0]!.split(':');
    expect(user).toBe('1337');
    expect(group).toBe('1337');
    // Nothing after USER switches back to root.
    expect(instructions.indexOf(users.at(-1)!)).toBeGreaterThan(
      instructions.findLastIndex((i) => i.getKeyword() === 'RUN'),
    );
  });

  it('enters through `node /app/cli/petrel.ts` in exec form, the file being in the image', () => {
    const entrypoints = dockerfile.getENTRYPOINTs();
    expect(entrypoints).toHaveLength(1);
    expect(entrypoints[0]!.getJSONStrings().map((j) => j.getJSONValue())).toEqual([
      'node',
      '/app/cli/petrel.ts',
    ]);
    expect(all('WORKDIR').map((i) => args(i)[0])).toEqual(['/app']);
    expect(copied).toContain('cli');
    expect(existsSync(join(REPO, 'cli/petrel.ts'))).toBe(true);
  });

  it('installs iptables and iproute2 for the istio-init role, and production dependencies only', () => {
    expect(
      runs.some((r) => /apt-get install\b.*\biptables\b/.test(r) && /\biproute2\b/.test(r)),
    ).toBe(true);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
  });

  it('copies paths that exist and that .dockerignore does not exclude', () => {
    for (const source of copied) {
      expect(existsSync(join(REPO, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'test', '.git']));
  });

  it('copies every folder the command imports, and those import production dependencies only', () => {
    const folders = copied.filter((s) => statSync(join(REPO, s)).isDirectory());
    const files = folders.flatMap((f) => tsFiles(join(REPO, f)));
    const builtins = new Set(builtinModules);
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g,
      )) {
        const spec = (m[1] ?? m[2])!;
        const at = relative(REPO, file);
        if (spec.startsWith('.')) {
          const target = relative(REPO, join(file, '..', spec));
          if (!folders.some((f) => target === f || target.startsWith(`${f}/`)))
            problems.push(`${at}: imports ${target}, which the image does not copy`);
        } else if (!spec.startsWith('node:') && !builtins.has(spec)) {
          const name = spec.startsWith('@')
            ? spec.split('/').slice(0, 2).join('/')
            : spec.split('/')[0]!;
          if (!pkg.dependencies[name])
            problems.push(`${at}: imports ${name}, which is not a production dependency`);
        }
      }
    }
    expect(files.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });
});
