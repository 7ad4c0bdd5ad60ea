// `--config-dir DIR`: every *.yaml/*.yml under DIR, watched. Each change is
// applied per file (a bad file keeps its last good version, see file-set.ts);
// the store gets only the difference.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { ConfigObject } from '../../api/config/object.ts';
import type {
  ConfigDiagnostic,
  ConfigSource,
  ConfigSourceStatus,
  MutableConfigStore,
} from './types.ts';
import { DiagnosticBoard } from './diagnostics.ts';
import { assertDirectory, listConfigFiles, readConfigFile } from './config-dir.ts';
import { FileSet } from './file-set.ts';
import type { FileContent } from './file-set.ts';
import { parseConfigFile } from './yaml-file.ts';
import { errorMessage } from './errors.ts';

export interface FileSourceOptions {
  /** The directory, as the user gave it: messages name files as `dir/rel/path.yaml`. */
  dir: string;
  store: MutableConfigStore;
  /** Quiet time after a filesystem event before rescanning (editors write in several steps). */
  debounceMs?: number;
  /** Full rescan period, for filesystems where fs.watch misses events (NFS, some mounts); 0 disables. */
  rescanMs?: number;
  /** Watch with fs.watch; false leaves only the periodic rescan. */
  watch?: boolean;
}

interface Known {
  text: string;
  content: FileContent;
}

export class FileConfigSource implements ConfigSource {
  readonly #dir: string;
  readonly #store: MutableConfigStore;
  readonly #debounceMs: number;
  readonly #rescanMs: number;
  readonly #watch: boolean;
  readonly #board = new DiagnosticBoard();
  readonly #files = new FileSet();
  /** Origin → last content read, so unchanged files are not parsed again. */
  #known = new Map<string, Known>();
  /** What this source last put in the store, by key. */
  #applied = new Map<string, ConfigObject>();
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #interval: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #stopped = false;

  constructor(options: FileSourceOptions) {
    this.#dir = options.dir;
    this.#store = options.store;
    this.#debounceMs = options.debounceMs ?? 50;
    this.#rescanMs = options.rescanMs ?? 5_000;
    this.#watch = options.watch ?? true;
  }

  async start(): Promise<void> {
    await assertDirectory(this.#dir);
    this.#stopped = false;
    if (this.#watch) this.#startWatcher();
    await this.rescan();
    if (this.#rescanMs > 0) {
      this.#interval = setInterval(() => void this.rescan(), this.#rescanMs);
      this.#interval.unref();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearTimeout(this.#debounce);
    clearInterval(this.#interval);
    await this.#queue;
  }

  onDiagnostic(listener: (d: ConfigDiagnostic) => void): () => void {
    return this.#board.onDiagnostic(listener);
  }

  status(): ConfigSourceStatus {
    return this.#board.status();
  }

  /** Reads the directory now; resolves when a scan that started after this call has been applied. */
  rescan(): Promise<void> {
    if (this.#queued) return this.#queued; // not started yet: it will see whatever changed
    const run = this.#queue.then(() => {
      this.#queued = undefined;
      return this.#stopped ? undefined : this.#scan();
    });
    this.#queued = run;
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #startWatcher(): void {
    try {
      this.#watcher = watch(this.#dir, { recursive: true, persistent: false }, () =>
        this.#schedule(),
      );
      this.#watcher.on('error', (err) => this.#watchFailed(err));
    } catch (err) {
      this.#watchFailed(err);
    }
  }

  #watchFailed(err: unknown): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    const every =
      this.#rescanMs > 0
        ? `rescanning every ${this.#rescanMs} ms instead`
        : 'changes will not be seen';
    this.#board.emit({
      severity: 'warning',
      code: 'PETREL_CONFIG_IO',
      origin: this.#dir,
      message: `${this.#dir}: cannot watch (${errorMessage(err)}); ${every}`,
    });
  }

  /** Coalesces a burst of events into one rescan (no reset per event, so a busy dir still gets scanned). */
  #schedule(): void {
    if (this.#debounce || this.#stopped) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      void this.rescan();
    }, this.#debounceMs);
  }

  async #scan(): Promise<void> {
    let names: string[];
    try {
      names = await listConfigFiles(this.#dir);
    } catch (err) {
      // The directory vanished or became unreadable: keep everything, say why.
      this.#board.set(this.#dir, [
        {
          severity: 'error',
          code: 'PETREL_CONFIG_IO',
          message: `${this.#dir}: ${errorMessage(err)}`,
        },
      ]);
      return;
    }
    this.#board.clear(this.#dir);

    const current = new Map<string, FileContent>();
    const changed = new Set<string>();
    const known = new Map<string, Known>();
    for (const name of names) {
      const origin = join(this.#dir, name);
      const read = await readConfigFile(origin);
      const text = 'text' in read ? read.text : `\0error:${read.error}`;
      let entry = this.#known.get(origin);
      if (!entry || entry.text !== text) {
        const content: FileContent =
          'text' in read
            ? { parsed: parseConfigFile(read.text, origin) }
            : { readError: read.error };
        entry = { text, content };
        changed.add(origin);
      }
      known.set(origin, entry);
      current.set(origin, entry.content);
    }
    if (this.#stopped) return;
    this.#known = known;

    const problems = this.#files.apply(current);
    this.#board.retain((origin) => current.has(origin));
    for (const [origin, diagnostics] of problems)
      this.#board.set(origin, diagnostics, changed.has(origin));
    this.#publish(this.#files.objects());
  }

  /** Applies the difference between what the store has from us and `next`: deletes first, then adds/updates. */
  #publish(next: Map<string, ConfigObject>): void {
    for (const [key, obj] of this.#applied) {
      if (!next.has(key)) this.#store.remove(obj.kind, obj.metadata.namespace, obj.metadata.name);
    }
    for (const [key, obj] of next) {
      // Same object reference: its file did not change, nothing to compare.
      if (this.#applied.get(key) !== obj) this.#store.upsert(obj);
    }
    this.#applied = next;
  }
}
