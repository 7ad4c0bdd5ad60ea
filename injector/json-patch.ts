// Building the RFC 6902 JSON patch the API server applies to the pod. Written
// by hand (rather than diffing two pods) so each operation says what it does:
// insert istio-init first, append istio-proxy, add one annotation. A diff
// would turn an insertion at index 0 into a replace of every element.

export interface PatchOperation {
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

/** RFC 6901: `~` → `~0`, `/` → `~1` (annotation keys such as sidecar.istio.io/status contain `/`). */
export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export class PatchBuilder {
  readonly ops: PatchOperation[] = [];

  replace(path: string, value: unknown): void {
    this.ops.push({ op: 'replace', path, value });
  }

  /**
   * Sets string entries of a map (labels, annotations). A missing (or null) map is
   * added whole: adding a member to a map that does not exist fails the patch.
   */
  setEntries(
    path: string,
    current: Record<string, string> | null | undefined,
    entries: Record<string, string>,
  ): void {
    if (Object.keys(entries).length === 0) return;
    if (current === undefined || current === null) {
      this.ops.push({ op: 'add', path, value: { ...entries } });
      return;
    }
    // `add` on an existing member replaces its value (RFC 6902 §4.1).
    for (const [k, v] of Object.entries(entries))
      this.ops.push({ op: 'add', path: `${path}/${escapePointer(k)}`, value: v });
  }

  /** Inserts items at `index` (0 = first) or at the end; a missing (or null) array is added whole. */
  insert(
    path: string,
    current: readonly unknown[] | null | undefined,
    index: number | 'end',
    items: readonly unknown[],
  ): void {
    if (items.length === 0) return;
    if (current === undefined || current === null) {
      this.ops.push({ op: 'add', path, value: [...items] });
      return;
    }
    items.forEach((item, k) => {
      this.ops.push({
        op: 'add',
        path: index === 'end' ? `${path}/-` : `${path}/${index + k}`,
        value: item,
      });
    });
  }
}
