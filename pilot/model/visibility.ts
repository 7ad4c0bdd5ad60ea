// exportTo as Istio applies it to Services, ServiceEntries, VirtualServices and
// DestinationRules: '*' everywhere, '.' the object's own namespace, '~' nowhere,
// or namespace names. An empty or missing list takes the mesh default.

/** Normalised: '.' replaced by `ownNamespace`, de-duplicated, sorted. */
export function normalizeExportTo(
  exportTo: readonly string[] | undefined,
  ownNamespace: string,
  defaults: readonly string[],
): readonly string[] {
  const source = exportTo && exportTo.length > 0 ? exportTo : defaults;
  const out = new Set<string>();
  for (const entry of source) out.add(entry === '.' ? ownNamespace : entry);
  // '~' hides the object even if other entries are listed (validation rejects that mix; be safe).
  if (out.has('~')) return Object.freeze(['~']);
  if (out.has('*')) return Object.freeze(['*']);
  return Object.freeze([...out].sort());
}

/** Whether an object with normalised `exportTo` is visible from `namespace`. */
export function isVisibleFrom(exportTo: readonly string[], namespace: string): boolean {
  return exportTo[0] === '*' || (exportTo[0] !== '~' && exportTo.includes(namespace));
}

/** Kubernetes Services carry exportTo in an annotation, comma separated. */
export const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

export function exportToFromAnnotation(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}
