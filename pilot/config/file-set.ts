// Which version of each file's objects is in force. A file is taken whole or
// not at all: one YAML error, invalid object or duplicate key keeps the last
// good version of every object of that file. A key belongs to the file that
// had it first; another file defining it is in error until the owner lets go.
import type { ConfigObject } from '../../api/config/object.ts';
import { objectLabel } from '../../api/istio/validate.ts';
import type { ConfigDiagnostic } from './types.ts';
import type { FileEntry, ParsedFile } from './yaml-file.ts';

/** A file as now on disk: parsed, or unreadable. */
export type FileContent = { parsed: ParsedFile } | { readError: string };

export class FileSet {
  /** Origin → the entries in force (its last good version). */
  #accepted = new Map<string, ReadonlyMap<string, FileEntry>>();
  /** Key → the origin whose entry is in force. */
  #owner = new Map<string, string>();

  /**
   * Takes the files now present (`files`, by origin) and returns the problems
   * in force for each of them. Files absent from `files` are deleted.
   */
  apply(files: ReadonlyMap<string, FileContent>): Map<string, ConfigDiagnostic[]> {
    for (const origin of [...this.#accepted.keys()]) if (!files.has(origin)) this.#release(origin);

    const problems = new Map<string, ConfigDiagnostic[]>();
    let pending = [...files.keys()].sort();
    // Files waiting on a key another file owns are retried after each pass that
    // moved keys, so a key moving between two files in one edit settles.
    for (let progress = true; progress && pending.length > 0;) {
      progress = false;
      const waiting: string[] = [];
      for (const origin of pending) {
        const content = files.get(origin)!;
        if ('readError' in content) {
          problems.set(origin, [
            {
              severity: 'error',
              code: 'PETREL_CONFIG_IO',
              message: `${origin}: ${content.readError}`,
            },
          ]);
          continue;
        }
        const { parsed } = content;
        if (parsed.errors.length > 0) {
          problems.set(origin, [...parsed.errors, ...parsed.warnings]);
          continue;
        }
        const taken = parsed.entries.filter((e) => (this.#owner.get(e.key) ?? origin) !== origin);
        if (taken.length > 0) {
          problems.set(origin, [
            ...taken.map((e) => this.#duplicate(origin, e)),
            ...parsed.warnings,
          ]);
          waiting.push(origin);
          continue;
        }
        problems.set(origin, parsed.warnings);
        if (this.#accept(origin, parsed.entries)) progress = true;
      }
      pending = waiting;
    }
    return problems;
  }

  /** Every object in force, by key. */
  objects(): Map<string, ConfigObject> {
    const out = new Map<string, ConfigObject>();
    for (const entries of this.#accepted.values())
      for (const [key, e] of entries) out.set(key, e.object);
    return out;
  }

  /** True when the keys this origin owns changed (others may now be free to take them). */
  #accept(origin: string, entries: readonly FileEntry[]): boolean {
    const before = this.#accepted.get(origin);
    const next = new Map(entries.map((e) => [e.key, e]));
    let moved = false;
    for (const key of before?.keys() ?? []) {
      if (!next.has(key)) {
        this.#owner.delete(key);
        moved = true;
      }
    }
    for (const key of next.keys()) {
      if (!this.#owner.has(key)) moved = true;
      this.#owner.set(key, origin);
    }
    this.#accepted.set(origin, next);
    return moved;
  }

  #release(origin: string): void {
    for (const key of this.#accepted.get(origin)?.keys() ?? []) this.#owner.delete(key);
    this.#accepted.delete(origin);
  }

  #duplicate(origin: string, entry: FileEntry): ConfigDiagnostic {
    return {
      severity: 'error',
      code: 'PETREL_CONFIG_DUPLICATE',
      message: `${origin}:${entry.line}: ${objectLabel(entry.object)}: already defined in ${this.#owner.get(entry.key)}`,
    };
  }
}
