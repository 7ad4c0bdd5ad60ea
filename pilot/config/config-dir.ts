// Reading a `--config-dir`: which files count and their contents. Kept apart
// from the source so the watch/diff logic reads without filesystem details.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, errorMessage } from './errors.ts';

const CONFIG_FILE = /\.ya?ml$/i;

/**
 * Every `*.yaml`/`*.yml` under `dir`, as sorted paths relative to it. Names
 * starting with a dot are skipped: editors' swap files, and the `..data`
 * directory of a mounted ConfigMap, whose files are also linked at the top
 * level (reading both would define every object twice). Symlinked files are
 * followed; symlinked directories are not (no cycles).
 */
export async function listConfigFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const child = rel ? join(rel, entry.name) : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (
        CONFIG_FILE.test(entry.name) &&
        (entry.isFile() || (entry.isSymbolicLink() && (await isFile(join(dir, child)))))
      ) {
        out.push(child);
      }
    }
  };
  await walk('');
  return out.sort();
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false; // a dangling link is no file
  }
}

export type FileRead = { text: string } | { error: string };

export async function readConfigFile(path: string): Promise<FileRead> {
  try {
    return { text: await readFile(path, 'utf8') };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}

export async function assertDirectory(dir: string): Promise<void> {
  let ok = false;
  try {
    ok = (await stat(dir)).isDirectory();
  } catch (err) {
    throw new ConfigError('PETREL_CONFIG_IO', `--config-dir ${dir}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (!ok) throw new ConfigError('PETREL_CONFIG_IO', `--config-dir ${dir}: not a directory`);
}
