// The problems a source currently has, per origin (a file, a kube object or
// kind), and the onDiagnostic listeners. Both sources keep one: it is what
// status() reports and what keeps periodic rescans from repeating old news.
import type { ConfigDiagnostic, ConfigSourceStatus } from './types.ts';
import { errorMessage } from './errors.ts';

export class DiagnosticBoard {
  #listeners = new Set<(d: ConfigDiagnostic) => void>();
  #byOrigin = new Map<string, readonly ConfigDiagnostic[]>();

  onDiagnostic(listener: (d: ConfigDiagnostic) => void): () => void {
    const entry = (d: ConfigDiagnostic) => listener(d);
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  /**
   * Makes `diagnostics` the problems in force for `origin`. Fires the ones not
   * already in force, or all of them when `fresh` (the origin's content changed,
   * so an unfixed problem is news again).
   */
  set(origin: string, diagnostics: readonly ConfigDiagnostic[], fresh = false): void {
    const before = new Set((this.#byOrigin.get(origin) ?? []).map((d) => d.message));
    const stamped = diagnostics.map((d) => ({ ...d, origin }));
    if (stamped.length === 0) this.#byOrigin.delete(origin);
    else this.#byOrigin.set(origin, stamped);
    for (const d of stamped) if (fresh || !before.has(d.message)) this.emit(d);
  }

  clear(origin: string): void {
    this.#byOrigin.delete(origin);
  }

  /** Drops every origin `keep` rejects (e.g. files that no longer exist). */
  retain(keep: (origin: string) => boolean): void {
    for (const origin of [...this.#byOrigin.keys()])
      if (!keep(origin)) this.#byOrigin.delete(origin);
  }

  get(origin: string): readonly ConfigDiagnostic[] {
    return this.#byOrigin.get(origin) ?? [];
  }

  /** Fires one diagnostic without recording it (transient news, e.g. a retried failure). */
  emit(d: ConfigDiagnostic): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(d);
      } catch (err) {
        process.stderr.write(`config diagnostics: listener failed: ${errorMessage(err)}\n`);
      }
    }
  }

  status(): ConfigSourceStatus {
    const origins = [...this.#byOrigin.keys()]
      .sort()
      .map((origin) => ({ origin, diagnostics: this.#byOrigin.get(origin)! }));
    const errorCount = origins.reduce(
      (n, o) => n + o.diagnostics.filter((d) => d.severity === 'error').length,
      0,
    );
    return { origins, errorCount };
  }
}
