// A `petrel local` of its own for a test: a copy of samples/mesh moved to addresses
// no other mesh on the machine uses (127.X.1.N pods, 127.X.2.N loopbacks, 127.X.0.1
// for pilot, gateway and dashboard), run as a child process like `npm start`.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('./run-local.ts', import.meta.url));

export interface TestMesh {
  dir: string;
  meshDir: string;
  host: string;
  gateway: string;
  dashboard: string;
  output(): string;
  /** Writes a file into the mesh's config dir (what a user's editor does). */
  write(name: string, text: string): void;
  /** Ctrl-C: resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  proc: ChildProcess;
}

let meshesStarted = 0;

export async function startTestMesh(
  extraArgs: string[] = [],
  readyTimeoutMs = 50_000,
  /** More config files (e.g. a walkthrough step with its own pods) copied in before start. */
  extraFiles: string[] = [],
): Promise<TestMesh> {
  // Test files run in parallel workers, each its own process: the pid (and a count
  // within the process) keeps two meshes of one run off the same addresses.
  const x = 100 + ((process.pid + meshesStarted++ * 41) % 150);
  const host = `127.${x}.0.1`;
  const dir = mkdtempSync(join(tmpdir(), 'petrel-local-test-'));
  const meshDir = join(dir, 'mesh');
  cpSync('samples/mesh', meshDir, { recursive: true });
  for (const f of extraFiles) cpSync(f, join(meshDir, basename(f)));
  for (const f of readdirSync(meshDir)) {
    const p = join(meshDir, f);
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll('127.0.1.', `127.${x}.1.`));
  }
  // Admin ports are on 127.0.0.1, shared by every mesh: 80 per mesh address, all
  // below the kernel's ephemeral range (32768+), where any test's outgoing
  // connection or port-0 listener could take one first.
  const adminBase = 20_000 + (x - 100) * 80;
  const proc = spawn(
    process.execPath,
    [
      RUNNER,
      '--config-dir',
      meshDir,
      '--host',
      host,
      '--loopback-net',
      `127.${x}.2.0/24`,
      '--admin-port-base',
      String(adminBase),
      '--log-dir',
      join(dir, 'logs'),
      '--drain-duration',
      '300',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `petrel local not up in ${readyTimeoutMs} ms:\n${out}${logTails(join(dir, 'logs'))}`,
          ),
        ),
      readyTimeoutMs,
    );
    const check = setInterval(() => {
      if (out.includes('The mesh is up')) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(
        new Error(
          `petrel local exited (${code}) before it was up:\n${out}${logTails(join(dir, 'logs'))}`,
        ),
      );
    });
  });
  return {
    dir,
    meshDir,
    host,
    gateway: `http://${host}:8080`,
    dashboard: `http://${host}:15080`,
    output: () => out,
    write: (name, text) => writeFileSync(join(meshDir, name), text),
    proc,
    stop: async (timeoutMs = 20_000) => {
      proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** The last lines of every process log that says something went wrong, for a failed start. */
function logTails(logDir: string): string {
  let out = '';
  try {
    for (const f of readdirSync(logDir)) {
      const lines = readFileSync(join(logDir, f), 'utf8').trimEnd().split('\n');
      if (lines.some((l) => /error|fatal|EADDRINUSE/i.test(l)))
        out += `\n--- ${f} (last lines)\n${lines.slice(-8).join('\n')}`;
    }
  } catch {
    // no log dir yet
  }
  return out;
}

/** Processes whose command line mentions `text` (none may outlive the mesh). */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(text) && Number(pid) !== process.pid)
        found.push(`${pid} ${cmd.slice(0, 1000)}`);
    } catch {
      /* gone */
    }
  }
  return found;
}
